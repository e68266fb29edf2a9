"""How an order follows the purchase cascade: payment, stock and shipment events move it.

PENDING → PAID (payment-authorized) → RESERVED (stock-reserved) → SHIPPED
(shipment-scheduled), or → CANCELLED with a reason (payment-declined, out-of-stock).

Each handler is idempotent on the order's state, not on the event: an order already at (or
past) the step an event announces is left alone, and its status-changed event is published
again only when it is exactly at that step (same deterministic id, so JetStream stores it
once); this repairs a publish that failed after the write. Events are consumed from three
streams by independent consumers, so they may arrive out of order: a step that arrives
before its predecessor (stock-reserved before payment-authorized) implies it, and the order
passes through every missing step, each one published, so watchers see the whole ladder
(out-of-stock likewise implies PAID before CANCELLED).
An event for an order that is already final (shipped or cancelled), or that this service
does not know, is acknowledged and ignored, with a log line.
"""

import logging
from dataclasses import dataclass

from acme.orders.v2 import orders_pb2 as v2
from acme_events.orders import Application
from acme_events.orders.messages.json import (
    OutOfStockPayload,
    PaymentAuthorizedPayload,
    PaymentDeclinedPayload,
    ShipmentScheduledPayload,
    StockReservedPayload,
)

from accord.events import EventContext
from accord.timestamps import timestamp_now
from services.orders.events import OrderEvents
from services.orders.store import FINAL_STATUSES, InvalidTransition, OrderNotFound, OrderStore

log = logging.getLogger("services.orders.handlers")

# The forward ladder of a live order; CANCELLED can be reached from any rung below SHIPPED.
_LADDER = (
    v2.ORDER_STATUS_PENDING,
    v2.ORDER_STATUS_PAID,
    v2.ORDER_STATUS_RESERVED,
    v2.ORDER_STATUS_SHIPPED,
)


@dataclass(frozen=True, slots=True)
class OrderFollower:
    """Applies what other services tell about an order to the order itself."""

    store: OrderStore
    events: OrderEvents

    async def advance(self, order_id: str, target: "v2.OrderStatus.ValueType", cause: str) -> None:
        order = await self._current(order_id, cause)
        if order is None:
            return
        if order.status == target:
            await self.events.status_changed(order)  # repairs a lost publish; deduplicated
            return
        if order.status in FINAL_STATUSES or _LADDER.index(order.status) > _LADDER.index(target):
            log.info("%s: order %s is %s already, ignored", cause, order_id, _name(order.status))
            return
        for step in _LADDER[_LADDER.index(order.status) + 1 : _LADDER.index(target) + 1]:
            try:
                order = await self.store.transition(order_id, step, timestamp_now())
            except InvalidTransition as final:  # cancelled meanwhile, by the customer
                log.info("%s: %s, ignored", cause, final)
                return
            await self.events.status_changed(order)

    async def cancel(
        self,
        order_id: str,
        reason: "v2.CancellationReason.ValueType",
        detail: str,
        cause: str,
        implies: "v2.OrderStatus.ValueType | None" = None,
    ) -> None:
        """Cancel the order; `implies` is a step the cause proves was reached first (stock runs
        out only after a payment), applied first if its own event is still on the way."""
        if implies is not None:
            await self.advance(order_id, implies, cause)
        order = await self._current(order_id, cause)
        if order is None:
            return
        if order.status == v2.ORDER_STATUS_SHIPPED:
            log.info("%s: order %s has shipped, ignored", cause, order_id)
            return
        try:
            # Already cancelled (for this or another reason): transition returns it unchanged.
            order = await self.store.transition(
                order_id,
                v2.ORDER_STATUS_CANCELLED,
                timestamp_now(),
                v2.Cancellation(reason=reason, detail=detail),
            )
        except InvalidTransition as final:
            log.info("%s: %s, ignored", cause, final)
            return
        await self.events.status_changed(order)

    async def _current(self, order_id: str, cause: str) -> v2.Order | None:
        try:
            return await self.store.get(order_id)
        except OrderNotFound:
            log.warning("%s: no order %s here, ignored", cause, order_id)
            return None


def _name(status: "v2.OrderStatus.ValueType") -> str:
    return v2.OrderStatus.Name(status)


def register(app: Application, follower: OrderFollower) -> None:
    @app.consumer.receive_payment_authorized
    async def paid(payment: PaymentAuthorizedPayload, event: EventContext) -> None:
        await follower.advance(payment.order_id, v2.ORDER_STATUS_PAID, event.id)

    @app.consumer.receive_payment_declined
    async def declined(payment: PaymentDeclinedPayload, event: EventContext) -> None:
        await follower.cancel(
            payment.order_id, v2.CANCELLATION_REASON_PAYMENT_DECLINED, payment.reason, event.id
        )

    @app.consumer.receive_stock_reserved
    async def reserved(stock: StockReservedPayload, event: EventContext) -> None:
        await follower.advance(stock.order_id, v2.ORDER_STATUS_RESERVED, event.id)

    @app.consumer.receive_out_of_stock
    async def out_of_stock(stock: OutOfStockPayload, event: EventContext) -> None:
        await follower.cancel(
            stock.order_id,
            v2.CANCELLATION_REASON_OUT_OF_STOCK,
            stock.reason,
            event.id,
            implies=v2.ORDER_STATUS_PAID,
        )

    @app.consumer.receive_shipment_scheduled
    async def shipped(shipment: ShipmentScheduledPayload, event: EventContext) -> None:
        await follower.advance(shipment.order_id, v2.ORDER_STATUS_SHIPPED, event.id)
