"""The purchase cascade end to end: each path ends in a consistent state across services."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import grpc
import pytest
from acme.inventory.v1 import inventory_pb2 as inventory_pb
from acme.orders.v2 import orders_pb2 as v2
from acme.payments.v1 import payments_pb2 as payments_pb
from acme.payments.v1 import payments_pb2_grpc as payments_grpc
from acme.shipping.v1 import shipping_pb2 as shipping_pb
from nats.aio.client import Client as NatsClient

from tests.integration.cascade.conftest import (
    STAFF_SCOPES,
    Cascade,
    eventually,
    final_order,
    order_request,
    refused,
    set_stock,
    stock_of,
    stored_events,
)

pytestmark = pytest.mark.integration

LADDER: list[int] = [
    v2.ORDER_STATUS_PENDING,
    v2.ORDER_STATUS_PAID,
    v2.ORDER_STATUS_RESERVED,
    v2.ORDER_STATUS_SHIPPED,
]


def _statuses(order: v2.Order) -> list[int]:
    return [change.status for change in order.history]


async def test_an_order_is_paid_reserved_and_shipped_and_watched_live(
    cascade: Cascade, unique: str
) -> None:
    sku, customer = f"TEA-{unique}", f"alice-{unique}"
    await set_stock(cascade, sku, 5)
    async with cascade.as_(customer) as alice:
        placed = (await alice.orders.PlaceOrder(order_request(customer, [(sku, 2)]))).order
        seen: list[int] = []
        async with asyncio.timeout(15):
            watch = alice.orders.WatchOrder(v2.WatchOrderRequest(order_id=placed.order_id))
            async for reply in watch:
                seen.append(reply.order.status)
                final = reply.order
        payment = (
            await alice.payments.GetPayment(payments_pb.GetPaymentRequest(order_id=final.order_id))
        ).payment
        shipment = (
            await alice.shipping.GetShipment(
                shipping_pb.GetShipmentRequest(order_id=final.order_id)
            )
        ).shipment

    assert placed.status == v2.ORDER_STATUS_PENDING
    # The watch joins after PlaceOrder answered, so it may start past PENDING; what it
    # sees is in the ladder's order, ends shipped, and the order's history is every step.
    assert seen == [status for status in LADDER if status in seen]
    assert seen[-1] == v2.ORDER_STATUS_SHIPPED
    assert _statuses(final) == LADDER
    assert payment.status == payments_pb.PAYMENT_STATUS_AUTHORIZED
    assert (payment.amount_cents, payment.currency) == (900, "EUR")
    assert shipment.status == shipping_pb.SHIPMENT_STATUS_SCHEDULED
    assert shipment.carrier == "acme-post"  # 2 units: by post, 2 days
    assert shipment.units == 2
    eta = shipment.estimated_arrival_time.ToDatetime() - shipment.create_time.ToDatetime()
    assert timedelta(days=2) - timedelta(seconds=5) < eta <= timedelta(days=2)
    assert await stock_of(cascade, sku) == 3


@pytest.mark.parametrize(
    ("token", "unit_cents", "reason"),
    [
        ("", 450, "no payment method"),
        ("tok_decline_insufficient_funds", 450, "card declined"),
        ("tok_visa", 50_001, "needs review"),  # 2 x 500.01 = 1,000.02 > 1,000.00
    ],
)
async def test_a_declined_payment_cancels_the_order_and_reserves_nothing(
    cascade: Cascade, unique: str, nats_client: NatsClient, token: str, unit_cents: int, reason: str
) -> None:
    sku, customer = f"MUG-{unique}", f"bob-{unique}"
    await set_stock(cascade, sku, 5, unit_cents=unit_cents)
    async with cascade.as_(customer) as bob:
        request = order_request(customer, [(sku, 2)], token=token)
        placed = (await bob.orders.PlaceOrder(request)).order
        final = await final_order(bob, placed.order_id)
        payment = (
            await bob.payments.GetPayment(payments_pb.GetPaymentRequest(order_id=final.order_id))
        ).payment
        no_shipment = await refused(
            bob.shipping.GetShipment(shipping_pb.GetShipmentRequest(order_id=final.order_id))
        )

    assert _statuses(final) == [v2.ORDER_STATUS_PENDING, v2.ORDER_STATUS_CANCELLED]
    assert final.cancellation.reason == v2.CANCELLATION_REASON_PAYMENT_DECLINED
    assert final.cancellation.detail == reason
    assert payment.status == payments_pb.PAYMENT_STATUS_DECLINED
    assert payment.decline_reason == reason
    assert no_shipment == grpc.StatusCode.NOT_FOUND
    assert await stock_of(cascade, sku) == 5
    declined = await stored_events(
        nats_client, "PAYMENTS", "acme.payments.v1.payment.declined", final.order_id
    )
    assert [event["reason"] for event in declined] == [reason]
    assert declined[0]["customerId"] == customer


async def test_stock_short_after_payment_refunds_and_cancels_holding_nothing(
    cascade: Cascade, unique: str, nats_client: NatsClient
) -> None:
    plenty, scarce, customer = f"TEA-{unique}", f"MUG-{unique}", f"carol-{unique}"
    await set_stock(cascade, plenty, 5)
    await set_stock(cascade, scarce, 1)
    async with cascade.as_(customer) as carol:
        request = order_request(customer, [(plenty, 2), (scarce, 2)])
        placed = (await carol.orders.PlaceOrder(request)).order
        final = await final_order(carol, placed.order_id)

        async def refunded() -> payments_pb.Payment | None:
            reply = await carol.payments.GetPayment(
                payments_pb.GetPaymentRequest(order_id=final.order_id)
            )
            done = reply.payment.status == payments_pb.PAYMENT_STATUS_REFUNDED
            return reply.payment if done else None

        payment = await eventually(refunded, "the refund")

    assert _statuses(final) == [
        v2.ORDER_STATUS_PENDING,
        v2.ORDER_STATUS_PAID,
        v2.ORDER_STATUS_CANCELLED,
    ]
    assert final.cancellation.reason == v2.CANCELLATION_REASON_OUT_OF_STOCK
    assert scarce in final.cancellation.detail
    assert payment.amount_cents == 1800
    # All lines or none: the line that fitted was given back.
    assert (await stock_of(cascade, plenty), await stock_of(cascade, scarce)) == (5, 1)
    refunds = await stored_events(
        nats_client, "PAYMENTS", "acme.payments.v1.payment.refunded", final.order_id
    )
    assert len(refunds) == 1
    assert refunds[0]["amountCents"] == 1800
    assert refunds[0]["customerId"] == customer
    shortages = await stored_events(
        nats_client, "INVENTORY", "acme.inventory.v1.stock.out_of_stock", final.order_id
    )
    assert [s["shortages"] for s in shortages] == [
        [{"sku": scarce, "requested": 2, "available": 1}]
    ]


async def test_a_repeated_place_order_runs_one_cascade(
    cascade: Cascade, unique: str, nats_client: NatsClient
) -> None:
    sku, customer = f"TEA-{unique}", f"dave-{unique}"
    await set_stock(cascade, sku, 10)
    request = order_request(customer, [(sku, 4)], request_id=f"r-{unique}")
    async with cascade.as_(customer) as dave:
        replies = await asyncio.gather(*(dave.orders.PlaceOrder(request) for _ in range(3)))
        order_ids = {reply.order.order_id for reply in replies}
        assert len(order_ids) == 1
        (order_id,) = order_ids
        final = await final_order(dave, order_id)
        again = await dave.orders.PlaceOrder(request)  # after the cascade: still the same

    assert again.order.order_id == order_id
    assert _statuses(final) == LADDER
    assert await stock_of(cascade, sku) == 6  # taken once
    for stream, subject in [
        ("PAYMENTS", "acme.payments.v1.payment.authorized"),
        ("INVENTORY", "acme.inventory.v1.stock.reserved"),
        ("SHIPPING", "acme.shipping.v1.shipment.scheduled"),
    ]:
        assert len(await stored_events(nats_client, stream, subject, order_id)) == 1, subject
    shipped = await stored_events(
        nats_client, "SHIPPING", "acme.shipping.v1.shipment.scheduled", order_id
    )
    assert shipped[0]["carrier"] == "acme-freight"  # 4 units: by freight


async def test_two_orders_racing_for_the_last_unit_one_wins(
    cascade: Cascade, unique: str, nats_client: NatsClient
) -> None:
    sku = f"POSTER-{unique}"
    await set_stock(cascade, sku, 1)
    customers = [f"erin-{unique}", f"frank-{unique}"]
    async with cascade.as_(customers[0]) as erin, cascade.as_(customers[1]) as frank:
        placed = await asyncio.gather(
            erin.orders.PlaceOrder(order_request(customers[0], [(sku, 1)])),
            frank.orders.PlaceOrder(order_request(customers[1], [(sku, 1)])),
        )
        finals = await asyncio.gather(
            final_order(erin, placed[0].order.order_id),
            final_order(frank, placed[1].order.order_id),
        )

    outcomes = sorted(order.status for order in finals)
    assert outcomes == [v2.ORDER_STATUS_SHIPPED, v2.ORDER_STATUS_CANCELLED]
    loser = next(order for order in finals if order.status == v2.ORDER_STATUS_CANCELLED)
    assert loser.cancellation.reason == v2.CANCELLATION_REASON_OUT_OF_STOCK
    assert await stock_of(cascade, sku) == 0
    async with cascade.as_("staff", *STAFF_SCOPES) as staff:

        async def refunded() -> bool | None:
            reply = await staff.payments.GetPayment(
                payments_pb.GetPaymentRequest(order_id=loser.order_id)
            )
            return True if reply.payment.status == payments_pb.PAYMENT_STATUS_REFUNDED else None

        await eventually(refunded, "the loser's refund")


async def test_customers_see_only_their_own_payments_and_shipments(
    cascade: Cascade, unique: str
) -> None:
    sku, alice_id, bob_id = f"TEA-{unique}", f"alice-{unique}", f"bob-{unique}"
    await set_stock(cascade, sku, 3)
    async with cascade.as_(alice_id) as alice, cascade.as_(bob_id) as bob:
        placed = (await alice.orders.PlaceOrder(order_request(alice_id, [(sku, 1)]))).order
        final = await final_order(alice, placed.order_id)
        assert final.status == v2.ORDER_STATUS_SHIPPED
        by_id = payments_pb.GetPaymentRequest(order_id=final.order_id)
        shipment_of = shipping_pb.GetShipmentRequest(order_id=final.order_id)
        missing = payments_pb.GetPaymentRequest(order_id=f"nope-{unique}")

        assert (await alice.payments.GetPayment(by_id)).payment.customer_id == alice_id
        assert (await alice.shipping.GetShipment(shipment_of)).shipment.customer_id == alice_id
        # Bob gets exactly what he would get for an order that does not exist.
        assert await refused(bob.payments.GetPayment(by_id)) == grpc.StatusCode.NOT_FOUND
        assert await refused(bob.payments.GetPayment(missing)) == grpc.StatusCode.NOT_FOUND
        assert await refused(bob.shipping.GetShipment(shipment_of)) == grpc.StatusCode.NOT_FOUND
        # Customers may read stock, not set it.
        set_it = inventory_pb.SetStockRequest(sku=sku, available=100)
        assert await refused(bob.inventory.SetStock(set_it)) == grpc.StatusCode.PERMISSION_DENIED
    async with cascade.as_("staff", *STAFF_SCOPES) as staff:
        assert (await staff.payments.GetPayment(by_id)).payment.customer_id == alice_id
        assert (await staff.shipping.GetShipment(shipment_of)).shipment.customer_id == alice_id


async def test_the_seeded_catalogue_and_unsigned_calls(cascade: Cascade) -> None:
    assert await stock_of(cascade, "TEA-1") >= 0
    assert await stock_of(cascade, "POSTER-LTD") in (0, 1)
    async with grpc.aio.insecure_channel(cascade.addresses["payments"]) as channel:
        stub = payments_grpc.PaymentServiceStub(channel)
        unsigned = stub.GetPayment(payments_pb.GetPaymentRequest(order_id="x"))
        assert await refused(unsigned) == grpc.StatusCode.UNAUTHENTICATED
