"""The shipping service: schedules the shipment of each reserved order."""

from accord.service import run_service_forever
from services.shipping.app import NAME, Settings, build

run_service_forever(NAME, Settings(), build)
