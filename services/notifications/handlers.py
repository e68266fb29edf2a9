"""What notifications does with each event it receives: one notification per event, once."""

from datetime import UTC, datetime

from acme.notifications.v1 import notifications_pb2 as pb
from acme_events.notifications import Application
from acme_events.notifications.messages.json import OrderPlacedPayload
from google.protobuf import timestamp_pb2

from accord.events import EventContext
from services.notifications.store import NotificationStore


def _money(cents: int, currency: str) -> str:
    return f"{cents // 100}.{cents % 100:02d} {currency}"


def order_confirmation(order: OrderPlacedPayload, event: EventContext) -> pb.Notification:
    items = sum(line.quantity for line in order.lines)
    created = timestamp_pb2.Timestamp()
    created.FromDatetime(event.time or datetime.now(UTC))
    return pb.Notification(
        notification_id=event.id,
        customer_id=order.customer_id,
        title=f"Order {order.order_id} is confirmed",
        body=(
            f"Thank you! We received your order of {items} item{'s' if items != 1 else ''} "
            f"for {_money(order.total_cents, order.currency)}. We will tell you when it ships."
        ),
        event_type=event.type,
        create_time=created,
    )


def register(app: Application, store: NotificationStore) -> None:
    @app.consumer.receive_order_placed
    async def confirm_order(order: OrderPlacedPayload, event: EventContext) -> None:
        # Idempotent: the notification's key comes from the event, so a redelivery adds nothing.
        await store.add(order_confirmation(order, event))
