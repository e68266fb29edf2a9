from accord.settings import ServiceSettings, service_config


class InventorySettings(ServiceSettings):
    """ACCORD_INVENTORY_HOST, ACCORD_INVENTORY_PORT (default 50054), NATS_URL, ACCORD_HOME."""

    model_config = service_config("inventory")

    port: int = 50054
