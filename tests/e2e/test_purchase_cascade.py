"""The purchase cascade as customers and staff see it: every call through the gateway.

The same journeys as tests/integration/cascade (which drive each service directly), here
with tokens, scopes and owners enforced by the real gateway in front of every service.
"""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from acme.inventory.v1 import inventory_pb2 as stock
from acme.inventory.v1 import inventory_pb2_grpc as stock_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from acme.payments.v1 import payments_pb2 as pay
from acme.payments.v1 import payments_pb2_grpc as pay_grpc
from acme.shipping.v1 import shipping_pb2 as ship
from acme.shipping.v1 import shipping_pb2_grpc as ship_grpc

from tests.e2e.conftest import Platform
from tests.support.waiting import settled

pytestmark = pytest.mark.e2e

CUSTOMER = ("orders:read", "orders:write", "payments:read", "shipping:read")
STAFF = ("inventory:read", "inventory:admin")
FINAL = {v2.ORDER_STATUS_SHIPPED, v2.ORDER_STATUS_CANCELLED}


async def _new_sku(platform: Platform, units: int) -> str:
    """A product staff add to the catalogue: its stock, and its price (EUR 5.00)."""
    sku = f"E2E-{uuid.uuid4().hex[:8]}"
    async with platform.channel("staff", *STAFF) as channel:
        catalogue = stock_grpc.InventoryServiceStub(channel)
        await catalogue.SetStock(stock.SetStockRequest(sku=sku, available=units))
        price = stock.Money(currency_code="EUR", units=5)
        await catalogue.SetPrice(stock.SetPriceRequest(sku=sku, unit_price=price))
    return sku


def _order(
    customer: str, sku: str, quantity: int, token: str, request_id: str = ""
) -> v2.PlaceOrderRequest:
    # The price the customer saw: the catalogue's, which is what the order is charged.
    price = v2.Money(currency_code="EUR", units=5)
    return v2.PlaceOrderRequest(
        request_id=request_id or uuid.uuid4().hex,
        customer_id=customer,
        lines=[v2.OrderLine(sku=sku, quantity=quantity, unit_price=price)],
        payment_token=token,
    )


async def _final(orders: v2_grpc.OrderServiceAsyncStub, order_id: str) -> v2.Order:
    """Follow the order with WatchOrder until it ends (the stream closes on a final status)."""
    last = None
    async for update in orders.WatchOrder(v2.WatchOrderRequest(order_id=order_id)):
        last = update.order
    assert last is not None
    assert last.status in FINAL
    return last


async def _buy(
    channel: grpc.aio.Channel, customer: str, sku: str, quantity: int, token: str
) -> tuple[v2.Order, v2.Order]:
    """The customer places an order and follows it to its end: as placed, and as it ended."""
    orders = v2_grpc.OrderServiceStub(channel)
    placed = (await orders.PlaceOrder(_order(customer, sku, quantity, token))).order
    return placed, await _final(orders, placed.order_id)


async def _available(platform: Platform, sku: str) -> int:
    async with platform.channel("staff", *STAFF) as channel:
        reply = await stock_grpc.InventoryServiceStub(channel).GetStock(
            stock.GetStockRequest(sku=sku)
        )
    return reply.stock.available


async def test_paid_reserved_shipped_and_watched_through_the_gateway(
    platform: Platform, unique: str
) -> None:
    alice = f"alice-{unique}"
    sku = await _new_sku(platform, 5)
    async with platform.channel(alice, *CUSTOMER) as channel:
        placed, final = await _buy(channel, alice, sku, 2, "tok_visa")
        assert [change.status for change in final.history] == [
            v2.ORDER_STATUS_PENDING,
            v2.ORDER_STATUS_PAID,
            v2.ORDER_STATUS_RESERVED,
            v2.ORDER_STATUS_SHIPPED,
        ]
        shipment = await ship_grpc.ShippingServiceStub(channel).GetShipment(
            ship.GetShipmentRequest(order_id=placed.order_id)
        )
        assert shipment.shipment.carrier
    assert await _available(platform, sku) == 3


@pytest.mark.parametrize(
    ("stock_units", "quantity", "card", "reason", "payment_status"),
    [
        pytest.param(
            5,
            1,
            "tok_decline_e2e",
            v2.CANCELLATION_REASON_PAYMENT_DECLINED,
            pay.PAYMENT_STATUS_DECLINED,
            id="a-declined-card-reserves-nothing",
        ),
        pytest.param(
            1,
            2,
            "tok_visa",
            v2.CANCELLATION_REASON_OUT_OF_STOCK,
            pay.PAYMENT_STATUS_REFUNDED,
            id="stock-gone-after-payment-is-refunded",
        ),
    ],
)
async def test_an_order_that_cannot_be_served_is_cancelled_and_its_stock_untouched(
    platform: Platform,
    unique: str,
    stock_units: int,
    quantity: int,
    card: str,
    reason: v2.CancellationReason.ValueType,
    payment_status: pay.PaymentStatus.ValueType,
) -> None:
    customer = f"buyer-{unique}"
    sku = await _new_sku(platform, stock_units)
    async with platform.channel(customer, *CUSTOMER) as channel:
        placed, final = await _buy(channel, customer, sku, quantity, card)
        assert final.status == v2.ORDER_STATUS_CANCELLED
        assert final.cancellation.reason == reason
        payments = pay_grpc.PaymentServiceStub(channel)

        async def payment() -> pay.Payment:
            request = pay.GetPaymentRequest(order_id=placed.order_id)
            return (await payments.GetPayment(request)).payment

        # A refund follows the cancellation; a decline came before it.
        settled_payment = await settled(payment, lambda paid: paid.status == payment_status)
        assert settled_payment.status == payment_status
    assert await _available(platform, sku) == stock_units


async def test_a_retried_purchase_runs_one_cascade(platform: Platform, unique: str) -> None:
    dave = f"dave-{unique}"
    sku = await _new_sku(platform, 5)
    request = _order(dave, sku, 1, "tok_visa", request_id="same")
    async with platform.channel(dave, *CUSTOMER) as channel:
        orders = v2_grpc.OrderServiceStub(channel)
        replies = await asyncio.gather(*(orders.PlaceOrder(request) for _ in range(3)))
        assert len({reply.order.order_id for reply in replies}) == 1
        await _final(orders, replies[0].order.order_id)
    assert await _available(platform, sku) == 4


async def test_two_customers_race_for_the_last_unit(platform: Platform, unique: str) -> None:
    sku = await _new_sku(platform, 1)
    erin, frank = f"erin-{unique}", f"frank-{unique}"
    async with (
        platform.channel(erin, *CUSTOMER) as as_erin,
        platform.channel(frank, *CUSTOMER) as as_frank,
    ):
        stubs = [v2_grpc.OrderServiceStub(as_erin), v2_grpc.OrderServiceStub(as_frank)]
        placed = await asyncio.gather(
            stubs[0].PlaceOrder(_order(erin, sku, 1, "tok_visa")),
            stubs[1].PlaceOrder(_order(frank, sku, 1, "tok_visa")),
        )
        finals = await asyncio.gather(
            *(_final(stub, reply.order.order_id) for stub, reply in zip(stubs, placed, strict=True))
        )
    assert sorted(v2.OrderStatus.Name(order.status) for order in finals) == [
        "ORDER_STATUS_CANCELLED",
        "ORDER_STATUS_SHIPPED",
    ]
    assert await _available(platform, sku) == 0


async def test_customers_reach_only_their_own_payments_and_shipments(
    platform: Platform, unique: str
) -> None:
    gina, hugo = f"gina-{unique}", f"hugo-{unique}"
    sku = await _new_sku(platform, 5)
    async with (
        platform.channel(gina, *CUSTOMER) as as_gina,
        platform.channel(hugo, *CUSTOMER) as as_hugo,
    ):
        placed, _ = await _buy(as_gina, gina, sku, 1, "tok_visa")
        for call in (
            pay_grpc.PaymentServiceStub(as_hugo).GetPayment(
                pay.GetPaymentRequest(order_id=placed.order_id)
            ),
            ship_grpc.ShippingServiceStub(as_hugo).GetShipment(
                ship.GetShipmentRequest(order_id=placed.order_id)
            ),
            v2_grpc.OrderServiceStub(as_hugo).GetOrder(
                v2.GetOrderRequest(order_id=placed.order_id)
            ),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call
            assert refused.value.code() == grpc.StatusCode.NOT_FOUND
