"""The real marketing service against the session's nats-server, and ways to call it.

No gateway listens at the address the service is given: every recommendation it decides
stays PENDING, its send failing and retried, which is how these tests hold an event "in
flight". Sending through the gateway to notifications is tested end to end
(tests/e2e/test_marketing.py).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TypeAlias

import pytest
from acme.marketing.v1 import marketing_pb2 as pb
from acme.marketing.v1 import marketing_pb2_grpc as pb_grpc
from joserfc.jwk import OKPKey

from accord.service import RunningService, start_service
from accord.tooling.nats_server import NatsServer
from services.marketing.app import NAME, Settings, build
from tests.integration.orders.conftest import accord_home, gateway_key  # noqa: F401
from tests.support.principals import stubs_as

CUSTOMER_SCOPES = ("marketing:track", "marketing:read", "marketing:write")

Stub: TypeAlias = "pb_grpc.MarketingServiceAsyncStub"
StubAs: TypeAlias = Callable[..., AbstractAsyncContextManager["pb_grpc.MarketingServiceAsyncStub"]]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
async def marketing_service(
    nats_server: NatsServer,
    accord_home: Path,  # noqa: F811
    gateway_key: OKPKey,  # noqa: F811
) -> AsyncIterator[RunningService]:
    settings = Settings(
        port=0,
        nats_url=nats_server.url,
        home=accord_home,
        gateway_address=f"127.0.0.1:{_closed_port()}",
        settle_seconds=0,
        notify_timeout_seconds=0.3,
    )
    service = await start_service(NAME, settings, build)
    try:
        yield service
    finally:
        await service.stop(0)


@pytest.fixture
def stub_as(marketing_service: RunningService, gateway_key: OKPKey) -> StubAs:  # noqa: F811
    """`async with stub_as("alice") as marketing:` calls as alice (customer scopes by default)."""

    address = f"127.0.0.1:{marketing_service.port}"
    opener: StubAs = stubs_as(address, gateway_key, pb_grpc.MarketingServiceStub, *CUSTOMER_SCOPES)
    return opener


def click(customer: str, event_id: str, sku: str = "SKU-TRAIL-SHOE") -> pb.TrackEventsRequest:
    return pb.TrackEventsRequest(
        customer_id=customer, event_id=event_id, kind=pb.BROWSING_EVENT_KIND_CLICK, sku=sku
    )


def view(customer: str, event_id: str, sku: str = "SKU-TRAIL-SHOE") -> pb.TrackEventsRequest:
    return pb.TrackEventsRequest(
        customer_id=customer, event_id=event_id, kind=pb.BROWSING_EVENT_KIND_VIEW, sku=sku
    )


async def profile_when(
    marketing: Stub,
    customer: str,
    ready: Callable[[pb.Profile], bool],
    timeout: float = 10.0,
) -> pb.Profile:
    """The customer's profile once `ready` holds, polled until `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        reply = await marketing.GetProfile(pb.GetProfileRequest(customer_id=customer))
        if ready(reply.profile):
            return reply.profile
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"profile of {customer} never got there: {reply.profile}")
        await asyncio.sleep(0.05)
