from pydantic_settings import SettingsConfigDict

from accord.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    """ACCORD_NOTIFICATIONS_HOST, ACCORD_NOTIFICATIONS_PORT (default 50052), NATS_URL."""

    model_config = SettingsConfigDict(
        env_prefix="ACCORD_NOTIFICATIONS_", extra="ignore", frozen=True, populate_by_name=True
    )

    port: int = 50052
