"""What the platform tells a customer about each event: one notification per event.

The notification's id is the id of the event that caused it, and its time the event's
time, so handling an event again makes the very same notification.
"""

from datetime import UTC, datetime

from acme.notifications.v1 import notifications_pb2 as pb
from acme_events.notifications.messages.json import (
    OrderPlacedPayload,
    OrderStatus,
    OrderStatusChangedPayload,
    TransferStatus,
    TransferStatusChangedPayload,
)

from accord.events import EventContext
from accord.timestamps import timestamp


def _money(cents: int, currency: str) -> str:
    return f"{cents // 100}.{cents % 100:02d} {currency}"


def _notification(
    event: EventContext, customer_id: str, title: str, body: str, **attributes: str
) -> pb.Notification:
    return pb.Notification(
        notification_id=event.id,
        customer_id=customer_id,
        title=title,
        body=body,
        event_type=event.type,
        create_time=timestamp(event.time or datetime.now(UTC)),
        attributes=attributes,
    )


def order_confirmation(order: OrderPlacedPayload, event: EventContext) -> pb.Notification:
    items = sum(line.quantity for line in order.lines)
    return _notification(
        event,
        order.customer_id,
        f"Order {order.order_id} is confirmed",
        f"Thank you! We received your order of {items} item{'s' if items != 1 else ''} "
        f"for {_money(order.total_cents, order.currency)}. We will tell you when it ships.",
        orderId=order.order_id,
        status=OrderStatus.PENDING.value,
    )


# The order statuses a customer hears about: the moments they act on (the parcel is on its
# way, it arrived, the order will not come). Paid and reserved are steps inside the cascade;
# the confirmation already said that the order is being handled.
_ORDER_NEWS = {
    OrderStatus.SHIPPED: ("Order {id} has shipped", "Your order {id} is on its way."),
    OrderStatus.DELIVERED: ("Order {id} was delivered", "Your order {id} has arrived."),
    OrderStatus.CANCELLED: ("Order {id} was cancelled", "We cancelled your order {id}."),
}


def order_status_news(
    change: OrderStatusChangedPayload, customer_id: str, event: EventContext
) -> pb.Notification | None:
    """The notification of a status change, or None for a status customers are not told."""
    news = _ORDER_NEWS.get(change.status)
    if news is None:
        return None
    title, body = (text.format(id=change.order_id) for text in news)
    attributes = {"orderId": change.order_id, "status": change.status.value}
    if change.status is OrderStatus.CANCELLED:
        reason = change.reason or "no reason was given"
        body = f"{body} Reason: {reason}."
        attributes["reason"] = reason
    return _notification(event, customer_id, title, body, **attributes)


_TRANSFER_NEWS = {
    TransferStatus.COMPLETED: ("Transfer {id} is completed", "{amount} was sent to {to}."),
    TransferStatus.HELD_FOR_REVIEW: (
        "Transfer {id} is held for review",
        "{amount} to {to} is reserved on your account while we review the transfer.",
    ),
    TransferStatus.REJECTED: ("Transfer {id} was rejected", "{amount} to {to} was not sent."),
}


def transfer_outcome(change: TransferStatusChangedPayload, event: EventContext) -> pb.Notification:
    """Every transfer status is news; each channel carries the same id and status."""
    amount = change.amount
    money = f"{amount.units}.{amount.nanos // 10_000_000:02d} {amount.currency}"
    title, body = (
        text.format(id=change.transfer_id, amount=money, to=change.to_account_id)
        for text in _TRANSFER_NEWS[change.status]
    )
    return _notification(
        event,
        change.customer_id,
        title,
        f"{body} {change.reason}",
        transferId=change.transfer_id,
        status=change.status.value,
        rule=change.rule.value,
    )
