from pydantic_settings import SettingsConfigDict

from accord.settings import ServiceSettings


class ShippingSettings(ServiceSettings):
    """ACCORD_SHIPPING_HOST, ACCORD_SHIPPING_PORT (default 50055), NATS_URL, ACCORD_HOME."""

    model_config = SettingsConfigDict(
        env_prefix="ACCORD_SHIPPING_", extra="ignore", frozen=True, populate_by_name=True
    )

    port: int = 50055
