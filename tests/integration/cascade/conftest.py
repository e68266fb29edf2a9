"""The purchase cascade in one process: orders, payments, inventory and shipping, each a real
service on a free port, against the session's nats-server; calls carry signed principals.

The cascade services are module-scoped: they stop when their module ends, so the tests of
other folders never see orders move on their own. A module may leave one out (the shipping
service, to hold an order at RESERVED).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from acme.inventory.v1 import inventory_pb2 as inventory_pb
from acme.inventory.v1 import inventory_pb2_grpc as inventory_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from acme.payments.v1 import payments_pb2_grpc as payments_grpc
from acme.shipping.v1 import shipping_pb2_grpc as shipping_grpc
from joserfc.jwk import OKPKey
from nats.aio.client import Client as NatsClient
from nats.js.api import ConsumerConfig, DeliverPolicy

from accord.service import RunningService
from accord.skeleton import Service
from accord.tooling.nats_server import NatsServer
from gateway.server import Gateway
from services.payments.app import SERVICE as PAYMENTS
from services.shipping.app import SERVICE as SHIPPING
from tests.integration.orders.conftest import (  # noqa: F401  (pytest fixtures, re-exported)
    catalogue_gateway,
    gateway_address,
    inventory_service,
    orders_service,
)
from tests.support.principals import channel_as

CUSTOMER_SCOPES = (
    "orders:read",
    "orders:write",
    "payments:read",
    "inventory:read",
    "shipping:read",
)
STAFF_SCOPES = (
    *CUSTOMER_SCOPES,
    "orders:admin",
    "payments:admin",
    "inventory:admin",
    "shipping:admin",
)
DEADLINE = 15.0  # seconds for a cascade to settle; it takes well under one


@dataclass(frozen=True)
class Stubs:
    orders: v2_grpc.OrderServiceAsyncStub
    payments: payments_grpc.PaymentServiceAsyncStub
    inventory: inventory_grpc.InventoryServiceAsyncStub
    shipping: shipping_grpc.ShippingServiceAsyncStub


@dataclass(frozen=True)
class Cascade:
    addresses: dict[str, str]
    key: OKPKey

    @asynccontextmanager
    async def as_(self, subject: str, *scopes: str) -> AsyncIterator[Stubs]:
        """Stubs of every cascade service, called as `subject` holding `scopes`."""
        scopes = scopes or CUSTOMER_SCOPES
        async with AsyncExitStack() as stack:
            channels = {
                name: await stack.enter_async_context(
                    channel_as(address, self.key, subject, *scopes)
                )
                for name, address in self.addresses.items()
            }
            yield Stubs(
                orders=v2_grpc.OrderServiceStub(channels["orders"]),
                payments=payments_grpc.PaymentServiceStub(channels["payments"]),
                inventory=inventory_grpc.InventoryServiceStub(channels["inventory"]),
                shipping=shipping_grpc.ShippingServiceStub(channels["shipping"]),
            )


async def _start_cascade(
    nats_server: NatsServer,
    home: Path,
    key: OKPKey,
    orders: RunningService,
    inventory: RunningService,
    services: Sequence[Service[Any, Any]],
) -> AsyncIterator[Cascade]:
    running: list[RunningService] = []
    try:
        # In the order of the cascade: each one's streams exist before its consumers bind.
        for declared in services:
            settings = declared.settings(port=0, nats_url=nats_server.url, home=home)
            running.append(await declared.start(settings))
        addresses = {
            "orders": f"127.0.0.1:{orders.port}",
            "inventory": f"127.0.0.1:{inventory.port}",
        }
        addresses |= {service.name: f"127.0.0.1:{service.port}" for service in running}
        # A service left out answers nowhere: its stub's calls fail UNAVAILABLE.
        for name in ("payments", "shipping"):
            addresses.setdefault(name, "127.0.0.1:1")
        yield Cascade(addresses, key)
    finally:
        for service in reversed(running):
            await service.stop()


def _cascade_fixture(*services: Service[Any, Any]) -> Any:
    """A module fixture: the cascade with `services` started after orders and inventory."""

    @pytest.fixture(scope="module")
    async def cascade(
        nats_server: NatsServer,
        accord_home: Path,
        gateway_key: OKPKey,
        orders_service: RunningService,  # noqa: F811  (its start creates the streams we read)
        inventory_service: RunningService,  # noqa: F811  (the session's: it owns the catalogue)
        catalogue_gateway: Gateway,  # noqa: F811  (orders prices through it)
    ) -> AsyncIterator[Cascade]:
        async for running in _start_cascade(
            nats_server, accord_home, gateway_key, orders_service, inventory_service, services
        ):
            yield running

    return cascade


# Orders, payments, inventory and shipping: the whole cascade.
cascade = _cascade_fixture(PAYMENTS, SHIPPING)
# The cascade stopping at RESERVED: nothing schedules shipments while it runs.
cascade_without_shipping = _cascade_fixture(PAYMENTS)


# Helpers the tests share.


def order_request(
    customer: str,
    lines: Sequence[tuple[str, int]],
    token: str = "tok_visa",
    request_id: str = "r-1",
) -> v2.PlaceOrderRequest:
    """An order of (sku, units) lines, at the catalogue's prices."""
    return v2.PlaceOrderRequest(
        request_id=request_id,
        customer_id=customer,
        lines=[v2.OrderLine(sku=sku, quantity=units) for sku, units in lines],
        payment_token=token,
    )


async def set_stock(
    cascade: Cascade, sku: str, available: int, unit_cents: int = 450, currency: str = "EUR"
) -> None:
    """Put the product in the catalogue (staff): its stock and its price."""
    price = inventory_pb.Money(
        currency_code=currency, units=unit_cents // 100, nanos=unit_cents % 100 * 10_000_000
    )
    async with cascade.as_("staff", *STAFF_SCOPES) as staff:
        await staff.inventory.SetStock(inventory_pb.SetStockRequest(sku=sku, available=available))
        await staff.inventory.SetPrice(inventory_pb.SetPriceRequest(sku=sku, unit_price=price))


async def stock_of(cascade: Cascade, sku: str) -> int:
    async with cascade.as_("staff", *STAFF_SCOPES) as staff:
        reply = await staff.inventory.GetStock(inventory_pb.GetStockRequest(sku=sku))
    return reply.stock.available


async def final_order(stubs: Stubs, order_id: str) -> v2.Order:
    """Follow the order with WatchOrder until it reaches a final status."""
    last: v2.Order | None = None
    async with asyncio.timeout(DEADLINE):
        async for reply in stubs.orders.WatchOrder(v2.WatchOrderRequest(order_id=order_id)):
            last = reply.order
    assert last is not None
    return last


async def eventually(check: Any, what: str) -> Any:
    """Poll `check()` (async, returning a value or None) until it returns a value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while loop.time() < deadline:
        value = await check()
        if value is not None:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def stored_events(nc: NatsClient, stream: str, subject: str, order_id: str) -> list[Any]:
    """Every event of `subject` the stream holds about `order_id`, oldest first."""
    js = nc.jetstream()
    info = await js.stream_info(stream, subjects_filter=subject)
    total = (info.state.subjects or {}).get(subject, 0)
    if total == 0:
        return []
    sub = await js.pull_subscribe(
        subject,
        stream=stream,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, mem_storage=True),
    )
    found: list[Any] = []
    try:
        seen = 0
        while seen < total:
            for msg in await sub.fetch(min(256, total - seen), timeout=2):
                seen += 1
                payload = json.loads(msg.data)
                if payload.get("orderId") == order_id:
                    found.append(payload)
                await msg.ack()
    finally:
        await sub.unsubscribe()
    return found


async def refused(call: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call
    code: grpc.StatusCode = error.value.code()
    return code
