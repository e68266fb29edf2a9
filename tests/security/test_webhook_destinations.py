"""Webhooks: they cannot be pointed inside, and a hostile endpoint cannot hold the sender.

Before: RegisterWebhook took any http(s) URL, loopback, private and link-local addresses
(the cloud's metadata service) included, and delivery read the whole answer with a timeout
per read: an endpoint dripping a byte at a time, or answering gigabytes, held a delivery
worker and filled the memory. Racing registrations went past the 10-webhook limit.

The platform here opens one address that is not public, 127.0.0.2, for the slow and huge
receivers of this test (tests/e2e/overrides/notifications.py); everything else a default
notifications service refuses, it refuses (the default opens nothing:
tests/unit/notifications/test_destinations.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
import nats
import pytest
from acme.notifications.v1 import notifications_pb2 as pb
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2

from accord.rpc_status import details_of, reason_of
from services.notifications import signing
from services.notifications.customers import BUCKET, StoredWebhook
from tests.security.conftest import Platform, sending_service
from tests.support.bus import stored

pytestmark = pytest.mark.e2e

CUSTOMER = ("notifications:read", "notifications:write")
DEAD_LETTERS = "acme.notifications.v1.deadletter.webhook-delivery"
OPENED = "127.0.0.2"

INSIDE = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data/iam/",
    "http://[fd00:ec2::254]/latest/",
    "http://100.100.100.200/latest/meta-data/",
    "http://10.0.0.5/hook",
    "http://192.168.1.1/hook",
    "http://0.0.0.0:9200/",
    "http://[::ffff:127.0.0.1]/hook",
    "http://2130706433/hook",  # 127.0.0.1, spelt as a number
    "http://127.0.0.3/hook",  # loopback, beside the one address opened
]


@pytest.mark.parametrize("url", INSIDE)
async def test_urls_that_lead_inside_are_refused_at_registration(
    platform: Platform, unique: str, url: str
) -> None:
    customer = f"c-{unique}"
    async with platform.channel(customer, *CUSTOMER) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await pb_grpc.NotificationServiceStub(channel).RegisterWebhook(
                pb.RegisterWebhookRequest(customer_id=customer, url=url)
            )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert reason_of(refused.value) == "WEBHOOK_ADDRESS_REFUSED"
    bad = error_details_pb2.BadRequest()
    assert any(d.Unpack(bad) for d in details_of(refused.value))
    assert [v.field for v in bad.field_violations] == ["url"]
    assert "public internet addresses only" in bad.field_violations[0].description


async def test_racing_registrations_stop_at_ten(platform: Platform, unique: str) -> None:
    customer = f"c-{unique}"
    async with platform.channel(customer, *CUSTOMER) as channel:
        stub = pb_grpc.NotificationServiceStub(channel)
        results = await asyncio.gather(
            *(
                stub.RegisterWebhook(
                    pb.RegisterWebhookRequest(customer_id=customer, url=f"https://1.1.1.1/h/{i}")
                )
                for i in range(25)
            ),
            return_exceptions=True,
        )
        listed = await stub.ListWebhooks(pb.ListWebhooksRequest(customer_id=customer))
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert {r.code() for r in refused} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert len(results) - len(refused) == len(listed.webhooks) == 10


@dataclass
class Hostile:
    """An HTTP endpoint that answers each POST the way it is told to, and notes what
    happened to each connection."""

    answer: Callable[[Hostile, asyncio.StreamWriter], Awaitable[None]]
    requests: int = 0
    written: int = 0  # bytes of the answer written so far on the current connection
    sent: list[int] = field(default_factory=list)  # bytes written before the client left
    held: list[float] = field(default_factory=list)  # seconds each connection lasted

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        started = time.monotonic()
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        self.requests += 1
        self.written = 0
        try:
            await self.answer(self, writer)
        except (ConnectionError, OSError):
            pass  # the client hung up: what this test waits for
        finally:
            self.held.append(time.monotonic() - started)
            self.sent.append(self.written)
            writer.close()


async def _drip(hostile: Hostile, writer: asyncio.StreamWriter) -> None:
    """A status line, then a header byte every 0.2 s for a minute."""
    writer.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
    for _ in range(300):
        await asyncio.sleep(0.2)
        writer.write(b"a")
        await writer.drain()
        hostile.written += 1


def _endless(status: bytes) -> Callable[[Hostile, asyncio.StreamWriter], Awaitable[None]]:
    """A status line, then a body of a gigabyte, as fast as the client takes it."""

    async def answer(hostile: Hostile, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 1073741824\r\n\r\n")
        chunk = b"x" * 65_536
        while hostile.written < 1 << 30:
            writer.write(chunk)
            await writer.drain()
            hostile.written += len(chunk)

    return answer


@asynccontextmanager
async def _listening(hostile: Hostile) -> AsyncIterator[str]:
    server = await asyncio.start_server(hostile.serve, OPENED, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://{OPENED}:{port}/hook"
    finally:
        server.close()


async def _notify(platform: Platform, customer: str, notification_id: str) -> None:
    async with sending_service(platform, "hooktest") as sender:
        await sender.SendNotification(
            pb.SendNotificationRequest(
                notification_id=notification_id,
                customer_id=customer,
                title="Hello",
                event_type="acme.security.v1.test",
                channels=[pb.CHANNEL_WEBHOOK],
            ),
            timeout=10,
            wait_for_ready=True,
        )


async def _dead_letter(platform: Platform, notification_id: str) -> dict[str, Any]:
    """The dead-letter record of the one delivery of `notification_id`: payload and reason."""
    nc = await nats.connect(platform.nats_url)
    try:
        for _ in range(150):
            for msg in await stored(nc, DEAD_LETTERS):
                body = json.loads(msg.data)
                if body["notification"]["notificationId"] == notification_id:
                    return {**body, "reason": (msg.headers or {})["accord-dead-letter-reason"]}
            await asyncio.sleep(0.1)
    finally:
        await nc.close()
    raise AssertionError(f"no dead letter for {notification_id}")


async def _register(platform: Platform, customer: str, url: str) -> None:
    async with platform.channel(customer, *CUSTOMER) as channel:
        await pb_grpc.NotificationServiceStub(channel).RegisterWebhook(
            pb.RegisterWebhookRequest(customer_id=customer, url=url)
        )


async def test_a_slow_endpoint_holds_an_attempt_for_its_deadline_only(
    platform: Platform, unique: str
) -> None:
    customer, notification_id = f"c-{unique}", f"hooktest.slow-{unique}"
    hostile = Hostile(_drip)
    async with _listening(hostile) as url:
        await _register(platform, customer, url)
        await _notify(platform, customer, notification_id)
        dead = await _dead_letter(platform, notification_id)
    # Two attempts (the platform's setting), each cut at its one-second deadline while the
    # endpoint meant to drip for a minute.
    assert "no answer within 1.0 s" in dead["reason"]
    assert hostile.requests == 2
    for _ in range(100):  # the endpoint notices the hang-up at its next byte
        if len(hostile.held) == 2:
            break
        await asyncio.sleep(0.05)
    assert len(hostile.held) == 2
    assert max(hostile.held) < 30


@pytest.mark.parametrize(("status", "settled"), [(b"200 OK", True), (b"500 Oops", False)])
async def test_a_huge_answer_is_not_read(
    platform: Platform, unique: str, status: bytes, settled: bool
) -> None:
    customer, notification_id = f"c-{unique}", f"hooktest.huge-{unique}"
    hostile = Hostile(_endless(status))
    async with _listening(hostile) as url:
        await _register(platform, customer, url)
        await _notify(platform, customer, notification_id)
        if settled:
            for _ in range(200):
                if hostile.sent:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)  # room for a retry, if one were coming
            assert hostile.requests == 1  # a 2xx settles it, body unread
        else:
            dead = await _dead_letter(platform, notification_id)
            assert "the endpoint answered 500" in dead["reason"]
            assert len(dead["reason"]) < 1_000  # at most 512 bytes of the body, quoted
            assert hostile.requests == 2
    # The sender hung up long before the gigabyte: only what the sockets buffered went out.
    assert hostile.sent
    assert max(hostile.sent) < 64 << 20


async def test_a_host_that_resolves_inside_at_delivery_gets_nothing(
    platform: Platform, unique: str
) -> None:
    """DNS rebinding: a name that resolved to a public address when it was registered, and
    to 127.0.0.1 when the delivery is made. The record is written as registration would have
    written it then; the delivery resolves `localhost` again and refuses where it leads."""
    customer, notification_id = f"c-{unique}", f"hooktest.rebind-{unique}"
    hostile = Hostile(_endless(b"200 OK"))
    server = await asyncio.start_server(hostile.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"http://localhost:{port}/hook"
    created = timestamp_pb2.Timestamp()
    created.GetCurrentTime()
    webhook_id = signing.webhook_id(customer, url)
    stored = StoredWebhook(
        pb.Webhook(webhook_id=webhook_id, customer_id=customer, url=url, create_time=created),
        signing.new_secret(),
    )
    nc = await nats.connect(platform.nats_url)
    try:
        bucket = await nc.jetstream().key_value(BUCKET)
        await bucket.put(f"webhook.{customer}.{webhook_id}", stored.encode())
        await _notify(platform, customer, notification_id)
        dead = await _dead_letter(platform, notification_id)
    finally:
        await nc.close()
        server.close()
    assert "is a loopback address" in dead["reason"]
    assert hostile.requests == 0
