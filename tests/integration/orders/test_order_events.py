"""Orders publishes order-placed; notifications consumes it with its generated, typed handler."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from acme.notifications.v1 import notifications_pb2 as pb
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from joserfc.jwk import OKPKey
from nats.aio.client import Client as NatsClient
from nats.js.api import ConsumerConfig, DeliverPolicy

from accord.service import RunningService
from accord.tooling.nats_server import NatsServer
from services.notifications import app as notifications_app
from tests.support.principals import channel_as
from tests.support.servers import serving

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
async def notifications_service(
    nats_server: NatsServer,
    accord_home: Path,
    gateway_key: OKPKey,
    orders_service: RunningService,  # its contract's ORDERS stream must exist first
) -> AsyncIterator[RunningService]:
    settings = notifications_app.SERVICE.settings(
        port=0, nats_url=nats_server.url, home=accord_home
    )
    async with serving(notifications_app.SERVICE, settings) as service:
        yield service


def _order(customer: str, request_id: str = "r") -> v2.PlaceOrderRequest:
    line = v2.OrderLine(sku="TEA-1", quantity=2)  # at the catalogue's USD 4.50
    return v2.PlaceOrderRequest(request_id=request_id, customer_id=customer, lines=[line])


async def _notifications_of(
    address: str, key: OKPKey, customer: str, expected: int
) -> list[pb.Notification]:
    async with channel_as(address, key, customer, "notifications:read") as channel:
        stub = pb_grpc.NotificationServiceStub(channel)
        for _ in range(100):
            reply = await stub.ListNotifications(pb.ListNotificationsRequest(customer_id=customer))
            if len(reply.notifications) >= expected:
                return list(reply.notifications)
            await asyncio.sleep(0.05)
    raise AssertionError(f"{customer} never got {expected} notification(s)")


async def test_placing_an_order_publishes_order_placed_as_the_contract_says(
    orders_v2: v2_grpc.OrderServiceAsyncStub, nats_client: NatsClient, unique: str
) -> None:
    order = (await orders_v2.PlaceOrder(_order(f"c-{unique}"))).order
    js = nats_client.jetstream()
    sub = await js.subscribe(
        "acme.orders.v1.order.placed",
        ordered_consumer=True,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
    )
    try:
        while True:
            msg = await sub.next_msg(timeout=5)
            body = json.loads(msg.data)
            if body["orderId"] == order.order_id:
                break
    finally:
        await sub.unsubscribe()
    assert body == {
        "orderId": order.order_id,
        "customerId": f"c-{unique}",
        "totalCents": 900,
        "currency": "USD",
        "lines": [{"sku": "TEA-1", "quantity": 2, "unitPriceCents": 450}],
    }
    assert msg.headers is not None
    assert msg.headers["ce-id"] == f"{order.order_id}.placed"
    assert msg.headers["Nats-Msg-Id"] == msg.headers["ce-id"]
    assert msg.headers["ce-type"] == "acme.orders.v1.order.placed"


async def test_each_placed_order_is_confirmed_once(
    orders_v2: v2_grpc.OrderServiceAsyncStub,
    notifications_service: RunningService,
    gateway_key: OKPKey,
    unique: str,
) -> None:
    customer = f"c-{unique}"
    first = (await orders_v2.PlaceOrder(_order(customer, "a"))).order
    # A retry republishes order-placed with the same id: still one confirmation.
    await orders_v2.PlaceOrder(_order(customer, "a"))
    second = (await orders_v2.PlaceOrder(_order(customer, "b"))).order
    address = f"127.0.0.1:{notifications_service.port}"
    notes = await _notifications_of(address, gateway_key, customer, expected=2)
    await asyncio.sleep(0.3)  # room for a duplicate to show up, if one were coming
    notes = await _notifications_of(address, gateway_key, customer, expected=2)
    assert [n.title for n in notes] == [
        f"Order {first.order_id} is confirmed",
        f"Order {second.order_id} is confirmed",
    ]
    assert "9.00 USD" in notes[0].body
    assert notes[0].event_type == "acme.orders.v1.order.placed"


async def test_notifications_answer_only_the_gateways_callers(
    notifications_service: RunningService,
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{notifications_service.port}") as channel:
        stub = pb_grpc.NotificationServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ListNotifications(pb.ListNotificationsRequest(customer_id="x"))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
