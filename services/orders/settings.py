from accord.settings import CallTimeout, ServiceSettings, service_config


class OrdersSettings(ServiceSettings):
    """ACCORD_ORDERS_HOST, ACCORD_ORDERS_PORT (default 50051), NATS_URL, ACCORD_HOME, and
    ACCORD_ORDERS_GATEWAY_API_KEY (production: orders asks inventory for prices as itself)."""

    model_config = service_config("orders")

    port: int = 50051

    # GetPrices at inventory, for PlaceOrder: one that runs out answers UNAVAILABLE.
    catalogue_timeout_seconds: CallTimeout = 5.0
