"""The real marketing service against the session's nats-server, and ways to call it.

No gateway listens at the address the service is given: every recommendation it decides
stays PENDING, its send failing and retried, which is how these tests hold an event "in
flight". Sending through the gateway to notifications is tested end to end
(tests/e2e/test_marketing.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TypeAlias

from acme.marketing.v1 import marketing_pb2 as pb
from acme.marketing.v1 import marketing_pb2_grpc as pb_grpc

from accord.ports import free_port
from services.marketing.app import SERVICE
from tests.support.running import callers, service_fixture

CUSTOMER_SCOPES = ("marketing:track", "marketing:read", "marketing:write")

Stub: TypeAlias = "pb_grpc.MarketingServiceAsyncStub"
StubAs: TypeAlias = Callable[..., AbstractAsyncContextManager["pb_grpc.MarketingServiceAsyncStub"]]


# No gateway at its address: recommendations stay in flight (see above).
marketing_service = service_fixture(
    SERVICE,
    gateway_address=f"127.0.0.1:{free_port()}",
    settle_seconds=0,
    notify_timeout_seconds=0.3,
    grace=0,
)
# `async with stub_as("alice") as marketing:` calls as alice (customer scopes by default).
stub_as = callers("marketing_service", pb_grpc.MarketingServiceStub, *CUSTOMER_SCOPES)


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
