"""Webhook delivery: one signed POST per delivery message, retried by the work queue.

The delivery consumer (contract operation `receiveWebhookDelivery`) hands each message to
`WebhookSender.deliver`. A 2xx answer settles it. Anything else (another status, a
refused connection, a host that resolves to an address webhooks may not reach, no answer in
time) raises DeliveryFailed, and the events runtime NAKs the message with the next backoff
delay; after the last allowed attempt it writes a dead-letter record
(NOTIFICATIONS_DEADLETTER) and drops the message. Every attempt sends the same body and the
same `Accord-Webhook-Id`, signed with a fresh timestamp.

An endpoint is the customer's, so it may be slow or huge on purpose. Each attempt has one
overall deadline (resolving the host, connecting, sending, the answer's status line and
headers, all together), not a per-read timeout that a server dripping a byte at a time never
trips; and of the answer's body at most MAX_EXCERPT bytes are read, for the failure's reason,
never the whole of it. So a slow or huge endpoint holds a delivery worker for the deadline
at most, and no memory. Where it may point is `destinations.py`'s business.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from acme_events.notifications.messages.json import WebhookDeliveryPayload

from accord.events import EventContext
from services.notifications import signing
from services.notifications.customers import CustomerSettings
from services.notifications.destinations import Destinations, RefusedDestination, UnresolvedHost
from services.notifications.payloads import canonical_json

log = logging.getLogger("notifications.webhooks")

# The most of an answer's body read, to say why a delivery failed; the rest is never read.
MAX_EXCERPT = 512
_DEFAULT_PORTS = {"http": 80, "https": 443}


class DeliveryFailed(Exception):
    """The endpoint did not take the delivery; the events runtime retries it."""


@dataclass(frozen=True, slots=True)
class WebhookSender:
    customers: CustomerSettings
    client: httpx.AsyncClient
    destinations: Destinations
    deadline_seconds: float
    clock: Callable[[], float] = time.time

    async def deliver(self, delivery: WebhookDeliveryPayload, event: EventContext) -> None:
        stored = await self.customers.webhook(delivery.customer_id, delivery.webhook_id)
        if stored is None:
            # The customer removed the endpoint since: nobody is left to tell.
            log.info("delivery %s: webhook %s is gone", delivery.delivery_id, delivery.webhook_id)
            return
        body = canonical_json(delivery.notification)
        headers = signing.headers(stored.secret, delivery.delivery_id, int(self.clock()), body)
        attempt = f"delivery {delivery.delivery_id} (attempt {event.delivery_count})"
        try:
            async with asyncio.timeout(self.deadline_seconds):
                status, excerpt = await self._post(stored.webhook.url, body, headers)
        except TimeoutError as error:
            raise DeliveryFailed(
                f"{attempt}: no answer within {self.deadline_seconds} s"
            ) from error
        except (RefusedDestination, UnresolvedHost) as error:
            raise DeliveryFailed(f"{attempt}: {error}") from error
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{attempt}: {error!r}") from error
        if not 200 <= status < 300:
            raise DeliveryFailed(f"{attempt}: the endpoint answered {status} {excerpt!r}")

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST to the address the URL's host resolves to now, once checked; the status and
        at most MAX_EXCERPT bytes of the body of an answer that is not a success."""
        target = httpx.URL(url)
        destination = await self.destinations.resolve(
            target.host, target.port or _DEFAULT_PORTS.get(target.scheme, 443)
        )
        request = self.client.build_request(
            "POST",
            target.copy_with(host=str(destination.address)),
            content=body,
            # The name the customer registered, for the server's virtual host and for TLS
            # (SNI and the certificate check); the connection goes to the checked address.
            headers={**headers, "Host": target.netloc.decode("ascii")},
            extensions={"sni_hostname": target.host},
        )
        response = await self.client.send(request, stream=True)
        try:
            if response.is_success:
                return response.status_code, b""
            excerpt = b""
            async for chunk in response.aiter_raw():
                excerpt += chunk
                if len(excerpt) >= MAX_EXCERPT:
                    break
            return response.status_code, excerpt[:MAX_EXCERPT]
        finally:
            await response.aclose()


def http_client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=timeout,
        # Redirects are not followed: the customer registered one URL, and a redirect could
        # send the signed body somewhere they never named, past the address check.
        follow_redirects=False,
        # No proxy from the environment: the address checked is the one connected to.
        trust_env=False,
        # No connection kept between deliveries: two hosts may resolve to one address, and
        # a TLS connection made for one must never carry the other's deliveries.
        limits=httpx.Limits(max_keepalive_connections=0),
    )
