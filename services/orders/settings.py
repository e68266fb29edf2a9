from pydantic import Field

from accord.settings import ServiceSettings, service_config


class OrdersSettings(ServiceSettings):
    """ACCORD_ORDERS_HOST, ACCORD_ORDERS_PORT (default 50051), NATS_URL, ACCORD_HOME, and
    ACCORD_ORDERS_GATEWAY_API_KEY (production: orders asks inventory for prices as itself)."""

    model_config = service_config("orders")

    port: int = 50051

    catalogue_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How long PlaceOrder waits for the catalogue's prices (inventory, through "
        "the gateway) before it answers UNAVAILABLE.",
    )
