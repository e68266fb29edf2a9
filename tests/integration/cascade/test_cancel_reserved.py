"""A customer cancels a paid, reserved order: the payment is refunded and the stock released.

This module runs the cascade without the shipping service, so that an order stays RESERVED
until the customer acts; shipping, started by a later module, then finds it cancelled and
ships nothing.
"""

from __future__ import annotations

import grpc
import pytest
from acme.orders.v2 import orders_pb2 as v2
from acme.payments.v1 import payments_pb2 as payments_pb
from nats.aio.client import Client as NatsClient

from tests.integration.cascade.conftest import (
    Cascade,
    Stubs,
    eventually,
    order_request,
    set_stock,
    stock_of,
    stored_events,
)

pytestmark = pytest.mark.integration


async def _when_status(stubs: Stubs, order_id: str, status: v2.OrderStatus.ValueType) -> v2.Order:
    async def reached() -> v2.Order | None:
        reply = await stubs.orders.GetOrder(v2.GetOrderRequest(order_id=order_id))
        return reply.order if reply.order.status == status else None

    order: v2.Order = await eventually(reached, v2.OrderStatus.Name(status))
    return order


async def test_cancelling_a_reserved_order_refunds_and_releases_once(
    cascade_without_shipping: Cascade, unique: str, nats_client: NatsClient
) -> None:
    cascade = cascade_without_shipping
    tea, mug, customer = f"TEA-{unique}", f"MUG-{unique}", f"gina-{unique}"
    await set_stock(cascade, tea, 4)
    await set_stock(cascade, mug, 2)
    async with cascade.as_(customer) as gina:
        request = order_request(customer, [(tea, 3), (mug, 2)])
        placed = (await gina.orders.PlaceOrder(request)).order
        await _when_status(gina, placed.order_id, v2.ORDER_STATUS_RESERVED)
        assert (await stock_of(cascade, tea), await stock_of(cascade, mug)) == (1, 0)

        cancel = v2.CancelOrderRequest(order_id=placed.order_id, detail="changed my mind")
        cancelled = (await gina.orders.CancelOrder(cancel)).order

        async def settled() -> payments_pb.Payment | None:
            reply = await gina.payments.GetPayment(
                payments_pb.GetPaymentRequest(order_id=placed.order_id)
            )
            refunded = reply.payment.status == payments_pb.PAYMENT_STATUS_REFUNDED
            released = (await stock_of(cascade, tea), await stock_of(cascade, mug)) == (4, 2)
            return reply.payment if refunded and released else None

        payment = await eventually(settled, "the refund and the release")
        # A second cancel answers the cancelled order and changes nothing.
        again = (await gina.orders.CancelOrder(cancel)).order

    assert [change.status for change in cancelled.history] == [
        v2.ORDER_STATUS_PENDING,
        v2.ORDER_STATUS_PAID,
        v2.ORDER_STATUS_RESERVED,
        v2.ORDER_STATUS_CANCELLED,
    ]
    assert cancelled.cancellation.reason == v2.CANCELLATION_REASON_CUSTOMER_REQUEST
    assert again.history == cancelled.history
    assert payment.refund_reason == "changed my mind"
    refunds = await stored_events(
        nats_client, "PAYMENTS", "acme.payments.v1.payment.refunded", placed.order_id
    )
    released = await stored_events(
        nats_client, "INVENTORY", "acme.inventory.v1.stock.released", placed.order_id
    )
    assert [event["amountCents"] for event in refunds] == [2250]
    assert [
        sorted((line["sku"], line["quantity"]) for line in event["lines"]) for event in released
    ] == [sorted([(tea, 3), (mug, 2)])]
    assert (await stock_of(cascade, tea), await stock_of(cascade, mug)) == (4, 2)


async def test_cancelling_a_pending_order_charges_and_reserves_nothing(
    cascade_without_shipping: Cascade, unique: str
) -> None:
    """However the cancel and the payment race, the customer ends up not paying."""
    cascade = cascade_without_shipping
    sku, customer = f"TEA-{unique}", f"hal-{unique}"
    await set_stock(cascade, sku, 3)
    async with cascade.as_(customer) as hal:
        placed = (await hal.orders.PlaceOrder(order_request(customer, [(sku, 1)]))).order
        await hal.orders.CancelOrder(v2.CancelOrderRequest(order_id=placed.order_id))

        async def settled() -> int | None:
            try:
                reply = await hal.payments.GetPayment(
                    payments_pb.GetPaymentRequest(order_id=placed.order_id)
                )
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.NOT_FOUND:
                    return None  # not recorded yet
                raise
            # Voided if the cancel came first; refunded if the authorization did.
            final = (payments_pb.PAYMENT_STATUS_VOIDED, payments_pb.PAYMENT_STATUS_REFUNDED)
            if reply.payment.status in final and await stock_of(cascade, sku) == 3:
                return reply.payment.status
            return None

        await eventually(settled, "no charge and no stock held")
        order = (await hal.orders.GetOrder(v2.GetOrderRequest(order_id=placed.order_id))).order
    assert order.status == v2.ORDER_STATUS_CANCELLED
