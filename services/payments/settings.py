from accord.settings import ServiceSettings, service_config


class PaymentsSettings(ServiceSettings):
    """ACCORD_PAYMENTS_HOST, ACCORD_PAYMENTS_PORT (default 50053), NATS_URL, ACCORD_HOME."""

    model_config = service_config("payments")

    port: int = 50053
