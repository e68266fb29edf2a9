"""Asks the notifications service, through the gateway, to email a recommendation.

The call goes through the front door with marketing's own API key (`svc-marketing`, scope
notifications:send), like any client's. It waits for the gateway to be ready (it may start
after this service) up to a timeout; any failure raises, so that the browsing event is
redelivered and the send retried with the same notification id, which notifications makes
once.
"""

import grpc
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc

from accord.gateway_client import refusals_are_final
from services.marketing import message
from services.marketing.catalogue import Product
from services.marketing.scoring import Scores

SCOPES = ("notifications:send",)


class Notifier:
    def __init__(self, channel: grpc.aio.Channel, timeout_seconds: float) -> None:
        self._stub = notes_grpc.NotificationServiceStub(channel)
        self._timeout = timeout_seconds

    async def recommend(
        self, customer_id: str, notification_id: str, products: list[Product], scores: Scores
    ) -> bool:
        """Send the recommendation email; whether notifications emailed it (False: the
        customer has no email address in their notification preferences)."""
        request = notes.SendNotificationRequest(
            notification_id=notification_id,
            customer_id=customer_id,
            title=message.title(scores),
            body=message.body(products),
            event_type=message.EVENT_TYPE,
            attributes={"skus": ",".join(p.sku for p in products)},
            channels=[notes.CHANNEL_EMAIL],
        )
        with refusals_are_final(f"notifications refused recommendation {notification_id}"):
            response = await self._stub.SendNotification(
                request, timeout=self._timeout, wait_for_ready=True
            )
        return notes.CHANNEL_EMAIL in response.delivered_channels
