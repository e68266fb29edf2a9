"""The real orders service, with the catalogue it prices orders from: the real inventory
service behind a real gateway, which orders calls as itself (as in `make run`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from acme.orders.v1 import orders_pb2_grpc
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from joserfc.jwk import OKPKey

from accord.service import RunningService
from accord.tooling.nats_cluster import free_ports
from gateway.server import Gateway
from services.inventory.app import SERVICE as INVENTORY
from services.orders.app import SERVICE as ORDERS
from tests.support.catalogue import catalogue_gateway as catalogue_gateway_at
from tests.support.principals import channel_as
from tests.support.running import from_fixture, service_fixture

STAFF_SCOPES = ("orders:read", "orders:write", "orders:admin")


@pytest.fixture(scope="session")
def gateway_address() -> str:
    """Where the catalogue's gateway listens: known before orders starts."""
    return f"127.0.0.1:{free_ports(1)[0]}"


# The real orders service, which asks the catalogue through the gateway at gateway_address.
orders_service = service_fixture(ORDERS, gateway_address=from_fixture("gateway_address"))
# The catalogue: it sells the seeded products, and what tests add with SetStock and SetPrice.
# Its consumers act only on payments, which run in the cascade tests alone. Started after
# orders, whose start creates the streams inventory consumes.
inventory_service = service_fixture(INVENTORY, after=("orders_service",))


@pytest.fixture(scope="session")
async def catalogue_gateway(
    accord_home: Path, inventory_service: RunningService, gateway_address: str
) -> AsyncIterator[Gateway]:
    """The gateway orders asks the catalogue through; it routes inventory only."""
    async with catalogue_gateway_at(accord_home, inventory_service, gateway_address) as gateway:
        yield gateway


@pytest.fixture
def orders_address(orders_service: RunningService, catalogue_gateway: Gateway) -> str:
    return f"127.0.0.1:{orders_service.port}"


@pytest.fixture
async def staff_channel(
    orders_address: str, gateway_key: OKPKey
) -> AsyncIterator[grpc.aio.Channel]:
    """A channel to orders as staff (the admin scope reaches every customer's orders)."""
    async with channel_as(orders_address, gateway_key, "staff", *STAFF_SCOPES) as channel:
        yield channel


@pytest.fixture
def orders(staff_channel: grpc.aio.Channel) -> orders_pb2_grpc.OrderServiceAsyncStub:
    """v1, called as staff."""
    return orders_pb2_grpc.OrderServiceStub(staff_channel)


@pytest.fixture
def orders_v2(staff_channel: grpc.aio.Channel) -> v2_grpc.OrderServiceAsyncStub:
    """v2, called as staff."""
    return v2_grpc.OrderServiceStub(staff_channel)


@pytest.fixture
async def unsigned_v2(orders_address: str) -> AsyncIterator[v2_grpc.OrderServiceAsyncStub]:
    async with grpc.aio.insecure_channel(orders_address) as channel:
        yield v2_grpc.OrderServiceStub(channel)
