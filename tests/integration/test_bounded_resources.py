"""One customer cannot exhaust NATS for everyone: watches, lists and subscriptions hold no
JetStream consumer, and what a call does hold (its subscription) is budgeted per caller.

Before: every WatchOrder and ListOrders created a consumer on KV_orders that lived 300 s
after the call; 1,000 WatchOrder calls in 12 s reached the server's consumer limit (error
10026), and then WatchOrder and ListOrders answered UNKNOWN to every customer.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import nats
import pytest
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from google.rpc import error_details_pb2
from nats.aio.client import Client as NatsClient

from accord.budget import DEFAULT_PER_CALLER
from accord.rpc_status import details_of
from accord.service import RunningService
from accord.tooling import devkeys
from accord.tooling.nats_cluster import free_ports
from accord.tooling.nats_config import ServerSecurity
from accord.tooling.nats_server import NatsServer
from services.inventory import app as inventory_app
from services.notifications import app as notifications_app
from services.orders import app as orders_app
from tests.support.catalogue import catalogue_gateway
from tests.support.principals import channel_as
from tests.support.servers import nats_in, serving

pytestmark = pytest.mark.integration

CALLS = 1_000  # of each kind, from one customer
IN_FLIGHT = 32
SCOPES = ("orders:read", "orders:write", "notifications:read")


@pytest.fixture(scope="module")
async def server(
    tmp_path_factory: pytest.TempPathFactory, nats_security: ServerSecurity
) -> AsyncIterator[NatsServer]:
    async with nats_in(tmp_path_factory.mktemp("bounded-jetstream"), nats_security) as server:
        yield server


@pytest.fixture(scope="module")
async def services(
    server: NatsServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Path, dict[str, RunningService]]]:
    home = tmp_path_factory.mktemp("bounded-home")
    devkeys.ensure_dev_keys(home)
    # Orders prices its orders from inventory's catalogue, through a gateway.
    gateway_address = f"127.0.0.1:{free_ports(1)[0]}"
    running: dict[str, RunningService] = {}
    async with contextlib.AsyncExitStack() as stack:
        for app in (orders_app, inventory_app, notifications_app):
            settings = app.SERVICE.settings(
                port=0, nats_url=server.address, home=home, gateway_address=gateway_address
            )
            service = serving(app.SERVICE, settings)
            running[app.SERVICE.name] = await stack.enter_async_context(service)
        async with catalogue_gateway(home, running["inventory"], gateway_address):
            yield home, running


@contextlib.asynccontextmanager
async def as_customer(
    services: tuple[Path, dict[str, RunningService]], customer: str
) -> AsyncIterator[tuple[Any, Any]]:
    home, running = services
    key = devkeys.ensure_principal_key(home)
    orders_at = f"127.0.0.1:{running['orders'].port}"
    notes_at = f"127.0.0.1:{running['notifications'].port}"
    async with (
        channel_as(orders_at, key, customer, *SCOPES) as orders_channel,
        channel_as(notes_at, key, customer, *SCOPES) as notes_channel,
    ):
        yield (
            v2_grpc.OrderServiceStub(orders_channel),
            notes_grpc.NotificationServiceStub(notes_channel),
        )


async def place(orders: Any, customer: str, request_id: str) -> v2.Order:
    reply = await orders.PlaceOrder(
        v2.PlaceOrderRequest(
            request_id=request_id,
            customer_id=customer,
            lines=[v2.OrderLine(sku="TEA-1", quantity=1)],  # at the catalogue's price
        )
    )
    order: v2.Order = reply.order
    return order


async def consumers(nc: NatsClient) -> int:
    info = await nc.jetstream().account_info()
    return int(info.consumers)


async def in_parallel(count: int, call: Callable[[int], Awaitable[None]]) -> dict[str, int]:
    """`call(0)` ... `call(count - 1)`, IN_FLIGHT at a time: how many answered each code.
    More in flight than a caller's budget of open watches: some are refused, as they should."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    codes: dict[str, int] = {}

    async def one(n: int) -> None:
        async with gate:
            try:
                await call(n)
                code = "OK"
            except grpc.aio.AioRpcError as error:
                code = error.code().name
            codes[code] = codes.get(code, 0) + 1

    await asyncio.gather(*(one(n) for n in range(count)))
    return codes


async def first_of(call: Any) -> Any:
    """The first message of a server stream, then the call is cancelled (the client leaves)."""
    try:
        return await asyncio.wait_for(call.read(), 10)
    finally:
        call.cancel()


async def test_thousands_of_watches_lists_and_subscriptions_leave_the_consumers_flat(
    server: NatsServer, services: tuple[Path, dict[str, RunningService]], unique: str
) -> None:
    nc = await nats.connect(server.url)
    mallory, alice = f"mallory-{unique}", f"alice-{unique}"
    try:
        async with as_customer(services, mallory) as (orders, inbox):
            # Nothing pays or ships here: the orders stay pending, so a watch stays open
            # until its client leaves.
            placed = [await place(orders, mallory, f"r{n}") for n in range(5)]
            before = await consumers(nc)
            peak = before
            sampling = True

            async def sample() -> None:
                nonlocal peak
                while sampling:
                    peak = max(peak, await consumers(nc))
                    await asyncio.sleep(0.05)

            sampler = asyncio.create_task(sample())

            async def watch(n: int) -> None:
                order_id = placed[n % len(placed)].order_id
                reply = await first_of(orders.WatchOrder(v2.WatchOrderRequest(order_id=order_id)))
                assert reply.order.order_id == order_id

            async def list_orders(n: int) -> None:
                page = await orders.ListOrders(v2.ListOrdersRequest(customer_id=mallory))
                assert len(page.orders) == len(placed)

            async def subscribe(n: int) -> None:
                reply = await first_of(inbox.Subscribe(notes.SubscribeRequest(customer_id=mallory)))
                assert reply.notification.customer_id == mallory

            try:
                watched = await in_parallel(CALLS, watch)
                listed = await in_parallel(CALLS, list_orders)
                subscribed = await in_parallel(CALLS, subscribe)
            finally:
                sampling = False
                await sampler
            # Served, or refused for being past the caller's budget (a cancelled call frees
            # its place a moment later, while this client already opens the next); nothing
            # else.
            assert set(watched) <= {"OK", "RESOURCE_EXHAUSTED"}
            assert watched.get("OK")
            assert listed == {"OK": CALLS}
            assert set(subscribed) <= {"OK", "RESOURCE_EXHAUSTED"}
            assert subscribed.get("OK")
            assert peak == before
            assert await consumers(nc) == before

        # Everyone else is served as before.
        async with as_customer(services, alice) as (orders, inbox):
            order = await place(orders, alice, "r1")
            watched = await first_of(
                orders.WatchOrder(v2.WatchOrderRequest(order_id=order.order_id))
            )
            assert watched.order.order_id == order.order_id
            listed = await orders.ListOrders(v2.ListOrdersRequest(customer_id=alice))
            assert [o.order_id for o in listed.orders] == [order.order_id]
            note = await first_of(inbox.Subscribe(notes.SubscribeRequest(customer_id=alice)))
            assert note.notification.customer_id == alice
    finally:
        await nc.close()


async def test_a_caller_past_its_budget_of_open_watches_is_refused_and_no_one_else(
    services: tuple[Path, dict[str, RunningService]], unique: str
) -> None:
    mallory, alice = f"mallory-{unique}", f"alice-{unique}"
    async with as_customer(services, mallory) as (orders, _inbox):
        order = await place(orders, mallory, "r1")
        request = v2.WatchOrderRequest(order_id=order.order_id)
        held = [orders.WatchOrder(request) for _ in range(DEFAULT_PER_CALLER)]
        try:
            for call in held:  # each one open, its first message read
                await asyncio.wait_for(call.read(), 10)
            one_too_many = orders.WatchOrder(request)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await one_too_many.read()
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            quota, retry = error_details_pb2.QuotaFailure(), error_details_pb2.RetryInfo()
            details = details_of(refused.value)
            assert any(d.Unpack(quota) for d in details)
            assert quota.violations[0].subject == f"caller:{mallory}"
            assert any(d.Unpack(retry) for d in details)
            assert retry.retry_delay.seconds > 0

            # Another customer is served meanwhile, and so is mallory once one closes.
            async with as_customer(services, alice) as (alice_orders, _):
                theirs = await place(alice_orders, alice, "r1")
                call = alice_orders.WatchOrder(v2.WatchOrderRequest(order_id=theirs.order_id))
                assert (await first_of(call)).order.order_id == theirs.order_id
            held.pop().cancel()
            await asyncio.sleep(0.2)  # the server sees the cancellation
            assert (await first_of(orders.WatchOrder(request))).order.order_id == order.order_id
        finally:
            for call in held:
                call.cancel()
