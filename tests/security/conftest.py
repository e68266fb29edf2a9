"""The abuse tests run against a whole platform of their own, built as the e2e tests build
theirs (tests/e2e/conftest.py): every service, the real gateway, NATS, in development mode.

Each test tries an attack of issue #10 through the gateway, the way a customer (or a
compromised service, or someone on the host) would, and shows it fail; where it costs
nothing, its docstring says how it succeeded before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc

from accord.gateway_client import GatewayClient
from accord.settings import ServiceSettings
from accord.tooling import devkeys
from tests.e2e.conftest import (
    Platform,
    edge_sees_every_backend,
    platform,
    platform_nats,
    stored_events,
)
from tests.support.service_keys import key_accepted

__all__ = [
    "Platform",
    "edge_sees_every_backend",
    "platform",
    "platform_nats",
    "sending_service",
    "stored_events",
]


@asynccontextmanager
async def sending_service(
    platform: Platform, name: str
) -> AsyncIterator[pb_grpc.NotificationServiceAsyncStub]:
    """Notifications as a service `name` of the platform calls it: through the gateway, with
    an API key of its own that holds notifications:send."""
    settings = ServiceSettings(home=platform.home, gateway_address=platform.address)
    devkeys.ensure_service_api_key(platform.home, name, ["notifications:send"])
    client = GatewayClient.open(settings, name)
    try:
        stub = pb_grpc.NotificationServiceStub(client.channel)
        await key_accepted(stub)
        yield stub
    finally:
        await client.close()
