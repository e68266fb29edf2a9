from accord.settings import ServiceSettings, service_config


class ShippingSettings(ServiceSettings):
    """ACCORD_SHIPPING_HOST, ACCORD_SHIPPING_PORT (default 50055), NATS_URL, ACCORD_HOME."""

    model_config = service_config("shipping")

    port: int = 50055
