"""The inventory service: the catalogue's stock, reserved and released for orders."""

from accord.service import run_service_forever
from services.inventory.app import NAME, Settings, build

run_service_forever(NAME, Settings(), build)
