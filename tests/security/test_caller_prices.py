"""Prices: a customer cannot set their own.

Before: PlaceOrder charged the `unit_price` the caller sent. 50 units of TEA-1 at a price of
0 were paid (an order of 0.00), reserved and shipped. Now the order is priced from the
catalogue that owns the prices (inventory); a price given that is not the catalogue's is
refused, naming the catalogue's. (Fares were never the caller's: BookSeats charges the
quote pricing made.)
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from acme.orders.v1 import orders_pb2 as v1
from acme.orders.v1 import orders_pb2_grpc as v1_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from acme.payments.v1 import payments_pb2 as pay
from acme.payments.v1 import payments_pb2_grpc as pay_grpc
from google.rpc import error_details_pb2

from accord.rpc_status import details_of, reason_of
from tests.security.conftest import Platform

pytestmark = pytest.mark.e2e

CUSTOMER = ("orders:read", "orders:write", "payments:read")


def _free_tea(price: v2.Money) -> v2.PlaceOrderRequest:
    return v2.PlaceOrderRequest(
        request_id="free-tea",
        customer_id="",
        lines=[v2.OrderLine(sku="TEA-1", quantity=50, unit_price=price)],
        payment_token="tok_visa",
    )


async def test_an_order_at_the_callers_price_is_refused_and_the_catalogues_is_charged(
    platform: Platform, unique: str
) -> None:
    mallory = f"mallory-{unique}"
    async with platform.channel(mallory, *CUSTOMER) as channel:
        orders = v2_grpc.OrderServiceStub(channel)
        for price in (
            v2.Money(currency_code="USD"),  # free
            v2.Money(currency_code="USD", nanos=1),  # a nano a cup
            v2.Money(currency_code="EUR", units=4, nanos=500_000_000),  # another currency
        ):
            request = _free_tea(price)
            request.customer_id = mallory
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await orders.PlaceOrder(request)
            assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert reason_of(refused.value) == "PRICE_CHANGED"
            failure = error_details_pb2.PreconditionFailure()
            assert any(d.Unpack(failure) for d in details_of(refused.value))
            assert [(v.subject, v.description) for v in failure.violations] == [
                ("lines[0].unit_price", "the catalogue's price of TEA-1 is USD 4.50")
            ]
        with pytest.raises(grpc.aio.AioRpcError) as in_v1:
            await v1_grpc.OrderServiceStub(channel).PlaceOrder(
                v1.PlaceOrderRequest(
                    request_id="free-tea-v1",
                    customer_id=mallory,
                    lines=[v1.OrderLine(sku="TEA-1", quantity=50, unit_price_cents=1)],
                    payment_token="tok_visa",
                )
            )
        assert in_v1.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert not (await orders.ListOrders(v2.ListOrdersRequest(customer_id=mallory))).orders

        # Without a price, the order is the catalogue's, and so is what payments charges.
        honest = _free_tea(v2.Money())
        honest.customer_id = mallory
        honest.request_id = "tea"
        honest.lines[0].ClearField("unit_price")
        order = (await orders.PlaceOrder(honest)).order
        assert order.total == v2.Money(currency_code="USD", units=225)
        payments = pay_grpc.PaymentServiceStub(channel)
        for _ in range(200):
            try:
                paid = await payments.GetPayment(pay.GetPaymentRequest(order_id=order.order_id))
                break
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.NOT_FOUND:  # not handled yet
                    raise
                await asyncio.sleep(0.05)
        assert (paid.payment.amount_cents, paid.payment.currency) == (22_500, "USD")
