from pydantic_settings import SettingsConfigDict

from accord.settings import ServiceSettings


class PaymentsSettings(ServiceSettings):
    """ACCORD_PAYMENTS_HOST, ACCORD_PAYMENTS_PORT (default 50053), NATS_URL, ACCORD_HOME."""

    model_config = SettingsConfigDict(
        env_prefix="ACCORD_PAYMENTS_", extra="ignore", frozen=True, populate_by_name=True
    )

    port: int = 50053
