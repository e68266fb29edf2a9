from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from acme.orders.v1 import orders_pb2_grpc
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from joserfc.jwk import OKPKey

from accord import devkeys
from accord.nats_server import NatsServer
from accord.service import RunningService, start_service
from services.orders.app import NAME, Settings, build
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
async def orders_service(
    nats_server: NatsServer, accord_home: Path, gateway_key: OKPKey
) -> AsyncIterator[RunningService]:
    """The real orders service on a free port, against the session's nats-server."""
    settings = Settings(port=0, nats_url=nats_server.url, home=accord_home)
    service = await start_service(NAME, settings, build)
    try:
        yield service
    finally:
        await service.stop()


@pytest.fixture
def orders_address(orders_service: RunningService) -> str:
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
