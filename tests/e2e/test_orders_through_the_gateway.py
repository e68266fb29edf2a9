"""Orders and notifications through the real gateway: versions, owners, live tracking."""

import asyncio

import grpc
import pytest
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from acme.orders.v1 import orders_pb2 as v1
from acme.orders.v1 import orders_pb2_grpc as v1_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc

from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e

CUSTOMER = ("orders:read", "orders:write", "notifications:read")


def _order(customer: str, request_id: str = "r") -> v2.PlaceOrderRequest:
    line = v2.OrderLine(sku="TEA-1", quantity=1)  # at the catalogue's price
    return v2.PlaceOrderRequest(request_id=request_id, customer_id=customer, lines=[line])


async def test_a_customer_places_watches_and_is_notified(platform: Platform, unique: str) -> None:
    alice = f"alice-{unique}"
    async with platform.channel(alice, *CUSTOMER) as channel:
        orders = v2_grpc.OrderServiceStub(channel)
        order = (await orders.PlaceOrder(_order(alice))).order
        watch = orders.WatchOrder(v2.WatchOrderRequest(order_id=order.order_id))
        first = await watch.read()
        assert isinstance(first, v2.WatchOrderResponse)
        assert first.order.order_id == order.order_id
        watch.cancel()

        inbox = notes_grpc.NotificationServiceStub(channel)
        for _ in range(100):
            listed = await inbox.ListNotifications(
                notes.ListNotificationsRequest(customer_id=alice)
            )
            if listed.notifications:
                break
            await asyncio.sleep(0.05)
        assert listed.notifications[0].title == f"Order {order.order_id} is confirmed"


async def test_one_customer_never_sees_anothers_orders(platform: Platform, unique: str) -> None:
    alice, bob = f"alice-{unique}", f"bob-{unique}"
    async with (
        platform.channel(alice, *CUSTOMER) as as_alice,
        platform.channel(bob, *CUSTOMER) as as_bob,
    ):
        order = (await v2_grpc.OrderServiceStub(as_alice).PlaceOrder(_order(alice))).order
        bobs = v2_grpc.OrderServiceStub(as_bob)
        answers = []
        for order_id in (order.order_id, "0" * 20):  # alice's order, and one that doesn't exist
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await bobs.GetOrder(v2.GetOrderRequest(order_id=order_id))
            answers.append(refused.value.code())
        assert answers == [grpc.StatusCode.NOT_FOUND, grpc.StatusCode.NOT_FOUND]

        # Naming alice in a request is refused by the gateway, whatever alice has.
        with pytest.raises(grpc.aio.AioRpcError) as listing:
            await bobs.ListOrders(v2.ListOrdersRequest(customer_id=alice))
        assert listing.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as placing:
            await bobs.PlaceOrder(_order(alice, "bob-for-alice"))
        assert placing.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_v1_still_answers_and_says_it_is_deprecated(platform: Platform, unique: str) -> None:
    alice = f"alice-{unique}"
    async with platform.channel(alice, *CUSTOMER) as channel:
        call = v1_grpc.OrderServiceStub(channel).PlaceOrder(
            v1.PlaceOrderRequest(
                request_id="r",
                customer_id=alice,
                lines=[v1.OrderLine(sku="TEA-1", quantity=2, unit_price_cents=450)],
            )
        )
        placed = await call
        headers = {key: str(value) for key, value in await call.initial_metadata()}
    assert placed.order.total_cents == 900
    assert headers["deprecation"].startswith("@")
    assert headers["sunset"].endswith("GMT")
    assert "acme.orders.v2.OrderService" in headers["link"]
