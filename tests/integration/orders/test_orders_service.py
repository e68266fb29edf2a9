"""The orders service over real gRPC, keeping its state in a real JetStream bucket."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from acme.orders.v1 import orders_pb2, orders_pb2_grpc
from acme.orders.v2 import orders_pb2 as v2
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from nats.aio.client import Client as NatsClient

from accord.rpc_status import details_of
from accord.service import RunningService
from services.orders.store import open_store

pytestmark = pytest.mark.integration


async def _rest_of(
    call: grpc.aio.UnaryStreamCall[orders_pb2.WatchOrderRequest, orders_pb2.WatchOrderResponse],
) -> list[orders_pb2.Order]:
    """Read a stream to its end (read() and iteration can't be mixed on one call)."""
    rest = []
    while (response := await call.read()) is not grpc.aio.EOF:
        assert isinstance(response, orders_pb2.WatchOrderResponse)
        rest.append(response.order)
    return rest


def _request(customer: str, request_id: str, quantity: int = 1) -> orders_pb2.PlaceOrderRequest:
    return orders_pb2.PlaceOrderRequest(
        request_id=request_id,
        customer_id=customer,
        lines=[orders_pb2.OrderLine(sku="TEA-1", quantity=quantity, unit_price_cents=450)],
    )


async def test_place_then_get(orders: orders_pb2_grpc.OrderServiceAsyncStub, unique: str) -> None:
    placed = (await orders.PlaceOrder(_request(f"c-{unique}", "r1", quantity=3))).order
    assert placed.status == orders_pb2.ORDER_STATUS_PENDING
    assert placed.total_cents == 1350
    got = (await orders.GetOrder(orders_pb2.GetOrderRequest(order_id=placed.order_id))).order
    assert got == placed


async def test_a_retry_returns_the_same_order(
    orders: orders_pb2_grpc.OrderServiceAsyncStub, unique: str
) -> None:
    request = _request(f"c-{unique}", "same-key")
    first, retry = await asyncio.gather(orders.PlaceOrder(request), orders.PlaceOrder(request))
    again = await orders.PlaceOrder(request)
    assert first.order.order_id == retry.order.order_id == again.order.order_id
    listed = await orders.ListOrders(orders_pb2.ListOrdersRequest(customer_id=f"c-{unique}"))
    assert [o.order_id for o in listed.orders] == [first.order.order_id]


async def test_a_reused_request_id_with_other_content_is_refused(
    orders: orders_pb2_grpc.OrderServiceAsyncStub, unique: str
) -> None:
    await orders.PlaceOrder(_request(f"c-{unique}", "k"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await orders.PlaceOrder(_request(f"c-{unique}", "k", quantity=2))
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_invalid_input_names_every_bad_field(
    orders: orders_pb2_grpc.OrderServiceAsyncStub,
) -> None:
    bad = orders_pb2.PlaceOrderRequest(
        request_id="",
        customer_id="has spaces",
        lines=[orders_pb2.OrderLine(sku="", quantity=0, unit_price_cents=-1)],
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await orders.PlaceOrder(bad)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    [detail] = details_of(refused.value)
    bad_request = error_details_pb2.BadRequest()
    assert detail.Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == [
        "request_id",
        "customer_id",
        "lines[0].sku",
        "lines[0].quantity",
        "lines[0].unit_price_cents",
    ]


async def test_no_lines_is_invalid(
    orders: orders_pb2_grpc.OrderServiceAsyncStub, unique: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await orders.PlaceOrder(orders_pb2.PlaceOrderRequest(request_id="r", customer_id=unique))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_list_pages_through_every_order_oldest_first(
    orders: orders_pb2_grpc.OrderServiceAsyncStub, unique: str
) -> None:
    customer = f"c-{unique}"
    placed = [
        (await orders.PlaceOrder(_request(customer, f"r{i}"))).order.order_id for i in range(5)
    ]
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = await orders.ListOrders(
            orders_pb2.ListOrdersRequest(customer_id=customer, page_size=2, page_token=token)
        )
        seen += [o.order_id for o in page.orders]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert seen == placed
    assert pages == 3


async def test_unknown_order_is_not_found(orders: orders_pb2_grpc.OrderServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await orders.GetOrder(orders_pb2.GetOrderRequest(order_id="nope"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_watch_streams_each_status_as_it_happens(
    orders: orders_pb2_grpc.OrderServiceAsyncStub, nats_client: NatsClient, unique: str
) -> None:
    order = (await orders.PlaceOrder(_request(f"c-{unique}", "w"))).order
    call = orders.WatchOrder(orders_pb2.WatchOrderRequest(order_id=order.order_id))
    first = await call.read()
    assert isinstance(first, orders_pb2.WatchOrderResponse)
    assert first.order.status == orders_pb2.ORDER_STATUS_PENDING

    # The cascade (payments, shipping) moves orders through the store; do the same here.
    store = await open_store(nats_client.jetstream())
    now = timestamp_pb2.Timestamp()
    now.GetCurrentTime()
    await store.transition(order.order_id, v2.ORDER_STATUS_PAID, now)
    # Reserved exists only in v2: a v1 watcher sees no change for it.
    await store.transition(order.order_id, v2.ORDER_STATUS_RESERVED, now)
    await store.transition(order.order_id, v2.ORDER_STATUS_SHIPPED, now)
    rest = [order.status for order in await _rest_of(call)]
    assert rest == [orders_pb2.ORDER_STATUS_PAID, orders_pb2.ORDER_STATUS_SHIPPED]


async def test_cancel_ends_a_watch(
    orders: orders_pb2_grpc.OrderServiceAsyncStub, unique: str
) -> None:
    order = (await orders.PlaceOrder(_request(f"c-{unique}", "x"))).order
    call = orders.WatchOrder(orders_pb2.WatchOrderRequest(order_id=order.order_id))
    await call.read()
    cancelled = await orders.CancelOrder(
        orders_pb2.CancelOrderRequest(order_id=order.order_id, reason="changed my mind")
    )
    assert cancelled.order.cancel_reason == "changed my mind"
    rest = await _rest_of(call)
    assert [o.status for o in rest] == [orders_pb2.ORDER_STATUS_CANCELLED]
    # Cancelling is idempotent: a retry answers with the same cancelled order.
    again = await orders.CancelOrder(orders_pb2.CancelOrderRequest(order_id=order.order_id))
    assert again.order == cancelled.order


async def test_a_shipped_order_cannot_be_cancelled(
    orders: orders_pb2_grpc.OrderServiceAsyncStub, nats_client: NatsClient, unique: str
) -> None:
    order = (await orders.PlaceOrder(_request(f"c-{unique}", "s"))).order
    store = await open_store(nats_client.jetstream())
    now = timestamp_pb2.Timestamp()
    now.GetCurrentTime()
    await store.transition(order.order_id, v2.ORDER_STATUS_SHIPPED, now)
    with pytest.raises(grpc.aio.AioRpcError) as final:
        await orders.CancelOrder(orders_pb2.CancelOrderRequest(order_id=order.order_id))
    assert final.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def _grpcurl(address: str, *args: str) -> str:
    """What grpcurl (the real client, through reflection) prints for `args` at `address`."""
    grpcurl = str(Path(sys.executable).parent / "grpcurl")
    done = await asyncio.to_thread(
        subprocess.run,
        [grpcurl, "-plaintext", address, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


async def test_grpcurl_lists_the_service_through_reflection(
    orders_service: RunningService,
) -> None:
    address = f"127.0.0.1:{orders_service.port}"
    assert "acme.orders.v1.OrderService" in (await _grpcurl(address, "list")).split()
    described = await _grpcurl(address, "describe", "acme.orders.v1.OrderService")
    assert "rpc WatchOrder" in described
    health = await _grpcurl(address, "grpc.health.v1.Health/Check")
    assert json.loads(health) == {"status": "SERVING"}
