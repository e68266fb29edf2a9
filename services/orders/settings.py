from pydantic_settings import SettingsConfigDict

from accord.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    """ACCORD_ORDERS_HOST, ACCORD_ORDERS_PORT (default 50051), NATS_URL, ACCORD_HOME."""

    model_config = SettingsConfigDict(
        env_prefix="ACCORD_ORDERS_", extra="ignore", frozen=True, populate_by_name=True
    )

    port: int = 50051
