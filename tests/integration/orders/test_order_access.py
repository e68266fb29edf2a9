"""Customers reach only their own orders; only the gateway's signed principal gets in."""

from __future__ import annotations

import grpc
import pytest
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from joserfc.jwk import OKPKey

from accord.identity import PRINCIPAL_HEADER
from tests.support.principals import channel_as

pytestmark = pytest.mark.integration


def _request(customer: str) -> v2.PlaceOrderRequest:
    return v2.PlaceOrderRequest(
        request_id="r", customer_id=customer, lines=[v2.OrderLine(sku="TEA-1", quantity=1)]
    )


async def _status_of(call: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call  # type: ignore[misc]
    return refused.value.code(), refused.value.details() or ""


async def test_another_customers_order_looks_exactly_like_a_missing_one(
    orders_address: str, gateway_key: OKPKey, unique: str
) -> None:
    alice, bob = f"alice-{unique}", f"bob-{unique}"
    scopes = ("orders:read", "orders:write")
    async with (
        channel_as(orders_address, gateway_key, alice, *scopes) as as_alice,
        channel_as(orders_address, gateway_key, bob, *scopes) as as_bob,
    ):
        alice_orders, bob_orders = (
            v2_grpc.OrderServiceStub(as_alice),
            v2_grpc.OrderServiceStub(as_bob),
        )
        order = (await alice_orders.PlaceOrder(_request(alice))).order
        assert (
            await alice_orders.GetOrder(v2.GetOrderRequest(order_id=order.order_id))
        ).order == order

        theirs = await _status_of(bob_orders.GetOrder(v2.GetOrderRequest(order_id=order.order_id)))
        missing = await _status_of(bob_orders.GetOrder(v2.GetOrderRequest(order_id="0" * 20)))
        assert theirs[0] == missing[0] == grpc.StatusCode.NOT_FOUND
        assert theirs[1].replace(order.order_id, "ID") == missing[1].replace("0" * 20, "ID")

        cancel = bob_orders.CancelOrder(v2.CancelOrderRequest(order_id=order.order_id))
        assert (await _status_of(cancel))[0] == grpc.StatusCode.NOT_FOUND
        watch = bob_orders.WatchOrder(v2.WatchOrderRequest(order_id=order.order_id))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await watch.read()
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_call_without_the_gateways_principal_is_refused(
    unsigned_v2: v2_grpc.OrderServiceAsyncStub,
) -> None:
    code, _ = await _status_of(unsigned_v2.GetOrder(v2.GetOrderRequest(order_id="x")))
    assert code == grpc.StatusCode.UNAUTHENTICATED


async def test_a_forged_principal_is_refused(
    unsigned_v2: v2_grpc.OrderServiceAsyncStub,
) -> None:
    forged = ((PRINCIPAL_HEADER, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."),)
    call = unsigned_v2.GetOrder(v2.GetOrderRequest(order_id="x"), metadata=forged)
    code, _ = await _status_of(call)
    assert code == grpc.StatusCode.UNAUTHENTICATED
