"""A service key just created is not known to the gateway at once: it reads its API-key file
again at most every 2 s (accord.auth._api_keys). Tests that make a key wait for it here."""

import asyncio
from typing import Any

import grpc
from acme.notifications.v1 import notifications_pb2 as pb


async def key_accepted(notifications: Any) -> None:
    """Wait until the gateway takes the key of a NotificationService stub's channel: an empty
    SendNotification answers something else than UNAUTHENTICATED (INVALID_ARGUMENT) then."""
    for _ in range(50):
        try:
            await notifications.SendNotification(
                pb.SendNotificationRequest(), timeout=10, wait_for_ready=True
            )
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.UNAUTHENTICATED:
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the gateway never accepted the new service key")
