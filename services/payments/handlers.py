"""What payments does with order events: authorize or decline once, refund once.

Handlers are idempotent on the stored payment, not on the event: a redelivered
order-placed finds its payment and publishes the same outcome again (same event id, so
JetStream keeps it once; it repairs a publish lost after the write). A cancellation that
arrives before the order was seen leaves a VOIDED payment behind, so the late order-placed
charges nothing.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from acme.payments.v1 import payments_pb2 as pb
from acme_events.payments import Application
from acme_events.payments.messages.json import (
    OrderPlacedPayload,
    OrderStatus,
    OrderStatusChangedPayload,
    PaidLine,
    PaymentAuthorizedPayload,
    PaymentDeclinedPayload,
    PaymentRefundedPayload,
)
from google.protobuf import timestamp_pb2

from accord.events import EventContext
from accord.timestamps import timestamp_now
from services.payments.rules import decline_reason
from services.payments.store import PaymentStore

log = logging.getLogger("services.payments.handlers")


def payment_id(order_id: str) -> str:
    return f"pay_{order_id}"


def _decide(order: OrderPlacedPayload) -> pb.Payment:
    now = timestamp_now()
    reason = decline_reason(order)
    return pb.Payment(
        payment_id=payment_id(order.order_id),
        order_id=order.order_id,
        customer_id=order.customer_id,
        amount_cents=order.total_cents,
        currency=order.currency,
        status=pb.PAYMENT_STATUS_DECLINED if reason else pb.PAYMENT_STATUS_AUTHORIZED,
        decline_reason=reason or "",
        create_time=now,
        update_time=now,
    )


@dataclass(frozen=True, slots=True)
class Payments:
    store: PaymentStore
    app: Application

    async def on_order_placed(self, order: OrderPlacedPayload) -> None:
        # A concurrent delivery or a cancellation may have stored the payment first: that one.
        payment = await self.store.get_or_create(order.order_id, lambda: _decide(order))
        await self._announce(payment, order)

    async def _announce(self, payment: pb.Payment, order: OrderPlacedPayload) -> None:
        if payment.status == pb.PAYMENT_STATUS_AUTHORIZED:
            authorized = PaymentAuthorizedPayload(
                payment_id=payment.payment_id,
                order_id=payment.order_id,
                customer_id=payment.customer_id,
                amount_cents=payment.amount_cents,
                currency=payment.currency,
                lines=[PaidLine(sku=line.sku, quantity=line.quantity) for line in order.lines],
            )
            await self.app.producer.send_payment_authorized(
                authorized,
                event_id=f"{payment.order_id}.payment-authorized",
                time=_time(payment.create_time),
            )
        elif payment.status == pb.PAYMENT_STATUS_DECLINED:
            declined = PaymentDeclinedPayload(
                payment_id=payment.payment_id,
                order_id=payment.order_id,
                customer_id=payment.customer_id,
                amount_cents=payment.amount_cents,
                currency=payment.currency,
                reason=payment.decline_reason,
            )
            await self.app.producer.send_payment_declined(
                declined,
                event_id=f"{payment.order_id}.payment-declined",
                time=_time(payment.create_time),
            )
        else:  # refunded or voided: the order was cancelled, nothing more to say
            log.info("order %s: payment is %s", payment.order_id, _name(payment.status))

    async def on_status_changed(self, change: OrderStatusChangedPayload) -> None:
        if change.status != OrderStatus.CANCELLED:
            return
        reason = change.reason or "order cancelled"
        voided = pb.Payment(payment_id=payment_id(change.order_id), status=pb.PAYMENT_STATUS_VOIDED)
        payment = await self.store.on_cancelled(
            change.order_id, change.customer_id or "", voided, lambda p: _refund(p, reason)
        )
        if payment is None:
            log.info("order %s cancelled before its payment: voided", change.order_id)
        elif payment.status == pb.PAYMENT_STATUS_REFUNDED:
            await self._refunded(payment)  # again on redelivery: same id, stored once

    async def _refunded(self, payment: pb.Payment) -> None:
        refunded = PaymentRefundedPayload(
            payment_id=payment.payment_id,
            order_id=payment.order_id,
            customer_id=payment.customer_id,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            reason=payment.refund_reason,
        )
        await self.app.producer.send_payment_refunded(
            refunded,
            event_id=f"{payment.order_id}.payment-refunded",
            time=_time(payment.update_time),
        )


def _refund(payment: pb.Payment, reason: str) -> bool:
    """Refund an authorized payment; any other has nothing to refund (False)."""
    if payment.status != pb.PAYMENT_STATUS_AUTHORIZED:
        return False
    payment.status = pb.PAYMENT_STATUS_REFUNDED
    payment.refund_reason = reason
    payment.update_time.CopyFrom(timestamp_now())
    return True


def _time(stamp: timestamp_pb2.Timestamp) -> datetime:
    return stamp.ToDatetime(UTC)


def _name(status: "pb.PaymentStatus.ValueType") -> str:
    return pb.PaymentStatus.Name(status)


def register(app: Application, payments: Payments) -> None:
    @app.consumer.receive_order_placed
    async def authorize(order: OrderPlacedPayload, event: EventContext) -> None:
        await payments.on_order_placed(order)

    @app.consumer.receive_order_status_changed
    async def refund(change: OrderStatusChangedPayload, event: EventContext) -> None:
        await payments.on_status_changed(change)
