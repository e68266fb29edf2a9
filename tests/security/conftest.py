"""The abuse tests run against a whole platform of their own, built as the e2e tests build
theirs (tests/e2e/conftest.py): every service, the real gateway, NATS, in development mode.

Each test tries an attack of issue #10 through the gateway, the way a customer (or a
compromised service, or someone on the host) would, and shows it fail; where it costs
nothing, its docstring says how it succeeded before.
"""

import asyncio
from typing import Any

import grpc
from acme.notifications.v1 import notifications_pb2 as pb

from tests.e2e.conftest import Platform, platform, platform_nats, stored_events

__all__ = ["Platform", "key_accepted", "platform", "platform_nats", "stored_events"]


async def key_accepted(stub: Any) -> None:
    """Wait until the gateway knows a service key just created: it reads the API-key file
    again at most every 2 s. An empty SendNotification is INVALID_ARGUMENT once it does."""
    for _ in range(50):
        try:
            await stub.SendNotification(pb.SendNotificationRequest(), timeout=10)
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.UNAUTHENTICATED:
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the gateway never accepted the new service key")
