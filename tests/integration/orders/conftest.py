from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from acme.orders.v1 import orders_pb2_grpc
from acme.orders.v2 import orders_pb2_grpc as v2_grpc

from accord.nats_server import NatsServer
from accord.service import RunningService, start_service
from services.orders.app import NAME, build
from services.orders.settings import OrdersSettings


@pytest.fixture(scope="session")
async def orders_service(nats_server: NatsServer) -> AsyncIterator[RunningService]:
    """The real orders service on a free port, against the session's nats-server."""
    settings = OrdersSettings(port=0, nats_url=nats_server.url)
    service = await start_service(NAME, settings, build)
    try:
        yield service
    finally:
        await service.stop()


@pytest.fixture
async def orders(
    orders_service: RunningService,
) -> AsyncIterator[orders_pb2_grpc.OrderServiceAsyncStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{orders_service.port}") as channel:
        yield orders_pb2_grpc.OrderServiceStub(channel)


@pytest.fixture
async def orders_v2(
    orders_service: RunningService,
) -> AsyncIterator[v2_grpc.OrderServiceAsyncStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{orders_service.port}") as channel:
        yield v2_grpc.OrderServiceStub(channel)
