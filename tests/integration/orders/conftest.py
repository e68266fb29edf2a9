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

from accord.service import RunningService, start_service
from accord.tooling import devkeys
from accord.tooling.nats_cluster import free_ports
from accord.tooling.nats_server import NatsServer
from gateway.server import Gateway
from services.inventory import app as inventory_app
from services.orders.app import NAME, Settings, build
from tests.support.catalogue import catalogue_gateway as catalogue_gateway_at
from tests.support.principals import channel_as, principal_key

STAFF_SCOPES = ("orders:read", "orders:write", "orders:admin")


@pytest.fixture(scope="session")
def accord_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the development keys, as `make run` makes: the services started here check
    tokens against its JWKS and principals against its principal key."""
    home = tmp_path_factory.mktemp("accord-home")
    devkeys.ensure_dev_keys(home)
    return home


@pytest.fixture(scope="session")
def gateway_key(accord_home: Path) -> OKPKey:
    return principal_key(accord_home)


@pytest.fixture(scope="session")
def gateway_address() -> str:
    """Where the catalogue's gateway listens: known before orders starts."""
    return f"127.0.0.1:{free_ports(1)[0]}"


@pytest.fixture(scope="session")
async def orders_service(
    nats_server: NatsServer, accord_home: Path, gateway_key: OKPKey, gateway_address: str
) -> AsyncIterator[RunningService]:
    """The real orders service on a free port, against the session's nats-server."""
    settings = Settings(
        port=0, nats_url=nats_server.url, home=accord_home, gateway_address=gateway_address
    )
    service = await start_service(NAME, settings, build)
    try:
        yield service
    finally:
        await service.stop()


@pytest.fixture(scope="session")
async def inventory_service(
    nats_server: NatsServer,
    accord_home: Path,
    orders_service: RunningService,  # its start creates the streams inventory consumes
) -> AsyncIterator[RunningService]:
    """The catalogue: it sells the seeded products, and what tests add with SetStock and
    SetPrice. Its consumers act only on payments, which run in the cascade tests alone."""
    settings = inventory_app.Settings(port=0, nats_url=nats_server.url, home=accord_home)
    service = await start_service(inventory_app.NAME, settings, inventory_app.build)
    try:
        yield service
    finally:
        await service.stop()


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
async def orders(
    orders_address: str, gateway_key: OKPKey
) -> AsyncIterator[orders_pb2_grpc.OrderServiceAsyncStub]:
    """v1, called as staff (the admin scope reaches every customer's orders)."""
    async with channel_as(orders_address, gateway_key, "staff", *STAFF_SCOPES) as channel:
        yield orders_pb2_grpc.OrderServiceStub(channel)


@pytest.fixture
async def orders_v2(
    orders_address: str, gateway_key: OKPKey
) -> AsyncIterator[v2_grpc.OrderServiceAsyncStub]:
    async with channel_as(orders_address, gateway_key, "staff", *STAFF_SCOPES) as channel:
        yield v2_grpc.OrderServiceStub(channel)


@pytest.fixture
async def unsigned_v2(orders_address: str) -> AsyncIterator[v2_grpc.OrderServiceAsyncStub]:
    async with grpc.aio.insecure_channel(orders_address) as channel:
        yield v2_grpc.OrderServiceStub(channel)
