"""The shipping service: schedules the shipment of each reserved order."""
