"""The generated applications are typed end to end (checked by mypy --strict).

Orders publishes placed orders; notifications consumes them with its own models.
"""

from typing import assert_type

from acme_events import notifications, orders
from acme_events.notifications.messages import json as notifications_json
from acme_events.orders.messages.json import OrderPlacedPayload, OrderStatusChangedPayload
from nats.aio.client import Client as NatsClient

from accord.events import EventContext, EventSettings, Publisher, Subscriber


def test_routers_expose_typed_endpoints_and_settings_reach_them() -> None:
    settings = EventSettings(source="/acme/test", publish_timeout=1.5)
    producer = orders.Application(NatsClient(), settings=settings)  # never connected: no I/O
    consumer = notifications.Application(NatsClient(), settings=settings)
    assert_type(producer.producer.send_order_placed, Publisher[OrderPlacedPayload])
    assert_type(producer.producer.send_order_status_changed, Publisher[OrderStatusChangedPayload])
    assert_type(
        consumer.consumer.receive_order_placed,
        Subscriber[notifications_json.OrderPlacedPayload],
    )
    assert producer.settings is settings
    assert consumer.settings is settings

    @consumer.consumer.receive_order_placed
    async def handle(order: notifications_json.OrderPlacedPayload, event: EventContext) -> None:
        """A handler of another payload type, or a sync one, fails mypy."""

    assert consumer.consumer.receive_order_placed.ready
    assert consumer.consumer.receive_order_placed.consumer.durable == "notifications-order-placed"
