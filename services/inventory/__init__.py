"""The inventory service: the catalogue's stock, reserved and released for orders."""
