from pydantic_settings import SettingsConfigDict

from accord.settings import ServiceSettings


class BankingSettings(ServiceSettings):
    """ACCORD_BANKING_HOST, ACCORD_BANKING_PORT (default 50056), NATS_URL, ACCORD_HOME."""

    model_config = SettingsConfigDict(
        env_prefix="ACCORD_BANKING_", extra="ignore", frozen=True, populate_by_name=True
    )

    port: int = 50056
