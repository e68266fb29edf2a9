from accord.settings import ServiceSettings, service_config


class BankingSettings(ServiceSettings):
    """ACCORD_BANKING_HOST, ACCORD_BANKING_PORT (default 50056), NATS_URL, ACCORD_HOME."""

    model_config = service_config("banking")

    port: int = 50056
