"""The reference business: one package per service, each its own process and state."""
