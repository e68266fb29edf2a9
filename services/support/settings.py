from pydantic_settings import SettingsConfigDict

from accord.settings import ServiceSettings


class SupportSettings(ServiceSettings):
    """ACCORD_SUPPORT_HOST, ACCORD_SUPPORT_PORT (default 50058), NATS_URL, ACCORD_HOME."""

    model_config = SettingsConfigDict(
        env_prefix="ACCORD_SUPPORT_", extra="ignore", frozen=True, populate_by_name=True
    )

    port: int = 50058
