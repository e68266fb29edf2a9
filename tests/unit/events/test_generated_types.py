"""The generated orders application is typed end to end (checked by mypy --strict)."""

from typing import assert_type

from acme_events.orders import Application
from acme_events.orders.messages.json import OrderPlacedPayload, OrderStatusChangedPayload
from nats.aio.client import Client as NatsClient

from accord.events import EventContext, EventSettings, Publisher, Subscriber


def test_routers_expose_typed_endpoints_and_settings_reach_them() -> None:
    settings = EventSettings(source="/acme/test", publish_timeout=1.5)
    app = Application(NatsClient(), settings=settings)  # never connected: no I/O here
    assert_type(app.producer.send_order_placed, Publisher[OrderPlacedPayload])
    assert_type(app.producer.send_order_status_changed, Publisher[OrderStatusChangedPayload])
    assert_type(app.consumer.receive_order_placed, Subscriber[OrderPlacedPayload])
    assert app.settings is settings

    @app.consumer.receive_order_placed
    async def handle(order: OrderPlacedPayload, event: EventContext) -> None:
        """A handler of another payload type, or a sync one, fails mypy."""

    assert app.consumer.receive_order_placed.ready
    assert app.consumer.receive_order_placed.consumer.durable == "orders-audit-order-placed"
