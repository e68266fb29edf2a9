"""The inventory service: the catalogue's stock, reserved and released for orders."""

from services.inventory.app import SERVICE

SERVICE.run_forever()
