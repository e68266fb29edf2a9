from pydantic_settings import SettingsConfigDict

from accord.settings import ServiceSettings


class InventorySettings(ServiceSettings):
    """ACCORD_INVENTORY_HOST, ACCORD_INVENTORY_PORT (default 50054), NATS_URL, ACCORD_HOME."""

    model_config = SettingsConfigDict(
        env_prefix="ACCORD_INVENTORY_", extra="ignore", frozen=True, populate_by_name=True
    )

    port: int = 50054
