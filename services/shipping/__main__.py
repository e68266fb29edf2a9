"""The shipping service: schedules the shipment of each reserved order."""

from services.shipping.app import SERVICE

SERVICE.run_forever()
