"""Where orders publishes its events: after each write, with ids that make retries safe.

An event's id is derived from what happened (`<order>.placed`, `<order>.<status>`), and the
event is published again whenever the call that caused it is retried. So a publish that
failed after the write is repaired by the client's retry, and a repeat is stored once
(JetStream's duplicate window) or, later, ignored by consumers idempotent on the id.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from acme.orders.v2 import orders_pb2 as v2
from acme_events.orders import Application
from acme_events.orders.messages.json import (
    CancellationReason,
    OrderLine,
    OrderPlacedPayload,
    OrderStatus,
    OrderStatusChangedPayload,
)

from accord.money import to_cents, to_nanos

_CANCELLATION_REASON = {
    v2.CANCELLATION_REASON_CUSTOMER_REQUEST: CancellationReason.CUSTOMER_REQUEST,
    v2.CANCELLATION_REASON_PAYMENT_DECLINED: CancellationReason.PAYMENT_DECLINED,
    v2.CANCELLATION_REASON_OUT_OF_STOCK: CancellationReason.OUT_OF_STOCK,
    v2.CANCELLATION_REASON_OTHER: CancellationReason.OTHER,
}

_STATUS = {
    v2.ORDER_STATUS_PENDING: OrderStatus.PENDING,
    v2.ORDER_STATUS_PAID: OrderStatus.PAID,
    v2.ORDER_STATUS_RESERVED: OrderStatus.RESERVED,
    v2.ORDER_STATUS_SHIPPED: OrderStatus.SHIPPED,
    v2.ORDER_STATUS_CANCELLED: OrderStatus.CANCELLED,
}


def _cents(money: v2.Money) -> int:
    return to_cents(to_nanos(money, "unit_price"))


@dataclass(frozen=True, slots=True)
class OrderEvents:
    app: Application

    async def placed(self, order: v2.Order, payment_token: str = "") -> None:
        # The token is not stored with the order: it is only passed on to payments. A retried
        # PlaceOrder carries the same token (its fingerprint covers it), so a republished
        # event is the same event.
        payload = OrderPlacedPayload(
            order_id=order.order_id,
            customer_id=order.customer_id,
            total_cents=_cents(order.total),
            currency=order.total.currency_code,
            lines=[
                OrderLine(
                    sku=line.sku, quantity=line.quantity, unit_price_cents=_cents(line.unit_price)
                )
                for line in order.lines
            ],
        )
        if payment_token:  # optional properties are left out, never sent as null
            payload.payment_token = payment_token
        await self.app.producer.send_order_placed(
            payload, event_id=f"{order.order_id}.placed", time=order.create_time.ToDatetime(UTC)
        )

    async def status_changed(self, order: v2.Order) -> None:
        if len(order.history) < 2:
            return  # a new order: order-placed says it all
        previous, current = order.history[-2], order.history[-1]
        payload = OrderStatusChangedPayload(
            order_id=order.order_id,
            previous_status=_STATUS[previous.status],
            status=_STATUS[current.status],
            changed_at=current.time.ToDatetime(UTC),
            customer_id=order.customer_id,
        )
        # Optional properties are set only when they have a value: unset ones are left out
        # of the event, where null would break the schema.
        if order.cancellation.detail:
            payload.reason = order.cancellation.detail
        reason = _CANCELLATION_REASON.get(order.cancellation.reason)
        if current.status == v2.ORDER_STATUS_CANCELLED and reason is not None:
            payload.cancellation_reason = reason
        name = v2.OrderStatus.Name(current.status).removeprefix("ORDER_STATUS_").lower()
        await self.app.producer.send_order_status_changed(
            payload, event_id=f"{order.order_id}.{name}", time=datetime.now(UTC)
        )
