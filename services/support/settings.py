from accord.settings import ServiceSettings, service_config


class SupportSettings(ServiceSettings):
    """ACCORD_SUPPORT_HOST, ACCORD_SUPPORT_PORT (default 50058), NATS_URL, ACCORD_HOME."""

    model_config = service_config("support")

    port: int = 50058
