"""The real support service against the session's nats-server, and ways to call it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TypeAlias

import pytest
from acme.support.v1 import support_pb2_grpc as pb_grpc
from joserfc.jwk import OKPKey

from accord.service import RunningService, start_service
from accord.tooling.nats_server import NatsServer
from services.support.app import NAME, Settings, build
from tests.integration.orders.conftest import accord_home, gateway_key  # noqa: F401
from tests.support.principals import stubs_as

CUSTOMER_SCOPES = ("support:read",)
STAFF_SCOPES = ("support:read", "support:staff")
MONITOR = ("svc-monitor", "support:tickets:open")

Stub: TypeAlias = "pb_grpc.SupportServiceAsyncStub"
StubAs: TypeAlias = Callable[..., AbstractAsyncContextManager["pb_grpc.SupportServiceAsyncStub"]]


@pytest.fixture(scope="session")
async def support_service(
    nats_server: NatsServer,
    accord_home: Path,  # noqa: F811
    gateway_key: OKPKey,  # noqa: F811
) -> AsyncIterator[RunningService]:
    settings = Settings(port=0, nats_url=nats_server.url, home=accord_home)
    service = await start_service(NAME, settings, build)
    try:
        yield service
    finally:
        await service.stop()


@pytest.fixture
def stub_as(support_service: RunningService, gateway_key: OKPKey) -> StubAs:  # noqa: F811
    """`async with stub_as("alice") as support:` calls as alice (customer scopes by default)."""

    address = f"127.0.0.1:{support_service.port}"
    opener: StubAs = stubs_as(address, gateway_key, pb_grpc.SupportServiceStub, *CUSTOMER_SCOPES)
    return opener


@pytest.fixture
async def monitor(stub_as: StubAs) -> AsyncIterator[Stub]:
    async with stub_as(*MONITOR) as stub:
        yield stub


@pytest.fixture
async def staff(stub_as: StubAs) -> AsyncIterator[Stub]:
    async with stub_as("staff", *STAFF_SCOPES) as stub:
        yield stub
