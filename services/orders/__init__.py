"""The orders service: places orders and lets customers follow them (acme.orders.v1)."""
