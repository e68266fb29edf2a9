"""Webhook delivery: one signed POST per delivery message, retried by the work queue.

The delivery consumer (contract operation `receiveWebhookDelivery`) hands each message to
`WebhookSender.deliver`. A 2xx answer settles it. Anything else (another status, a
refused connection, a timeout) raises DeliveryFailed, and the events runtime NAKs the
message with the next backoff delay; after the last allowed attempt it writes a
dead-letter record (NOTIFICATIONS_DEADLETTER) and drops the message. Every attempt sends
the same body and the same `Accord-Webhook-Id`, signed with a fresh timestamp.
"""

import logging
import time
from collections.abc import Callable

import httpx
from acme_events.notifications.messages.json import WebhookDeliveryPayload

from accord.events import EventContext
from services.notifications import signing
from services.notifications.customers import CustomerSettings
from services.notifications.payloads import canonical_json

log = logging.getLogger("notifications.webhooks")


class DeliveryFailed(Exception):
    """The endpoint did not take the delivery; the events runtime retries it."""


class WebhookSender:
    def __init__(
        self,
        customers: CustomerSettings,
        client: httpx.AsyncClient,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._customers = customers
        self._client = client
        self._clock = clock

    async def deliver(self, delivery: WebhookDeliveryPayload, event: EventContext) -> None:
        stored = await self._customers.webhook(delivery.customer_id, delivery.webhook_id)
        if stored is None:
            # The customer removed the endpoint since: nobody is left to tell.
            log.info("delivery %s: webhook %s is gone", delivery.delivery_id, delivery.webhook_id)
            return
        body = canonical_json(delivery.notification)
        headers = signing.headers(stored.secret, delivery.delivery_id, int(self._clock()), body)
        try:
            answer = await self._client.post(stored.webhook.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(
                f"delivery {delivery.delivery_id} (attempt {event.delivery_count}): {error!r}"
            ) from error
        if not answer.is_success:
            raise DeliveryFailed(
                f"delivery {delivery.delivery_id} (attempt {event.delivery_count}): "
                f"the endpoint answered {answer.status_code}"
            )


def http_client(timeout: float) -> httpx.AsyncClient:
    # Redirects are not followed: the customer registered one URL, and a redirect could send
    # the signed body somewhere they never named.
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False)
