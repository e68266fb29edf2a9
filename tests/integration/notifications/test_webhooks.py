"""Webhooks: signed POSTs, retried with backoff through the work queue, dead-lettered at last."""

import asyncio
import hashlib
import hmac
import json
import time

import grpc
import pytest
from acme.notifications.v1 import notifications_pb2 as pb
from acme_events.orders import Application as Orders
from nats.aio.client import Client as NatsClient

from accord.ports import free_port
from tests.integration.notifications.conftest import MAX_ATTEMPTS, AsCustomer
from tests.integration.notifications.publish import order_placed
from tests.integration.notifications.receiver import Receiver, Request
from tests.support.bus import stored
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

WORK_QUEUE = "NOTIFICATIONS_WEBHOOKS"
DURABLE = "notifications-webhook-delivery"
DEAD_LETTERS = "acme.notifications.v1.deadletter.webhook-delivery"
# A public address for webhooks that are only registered: nothing is ever sent to it.
PUBLIC = "https://1.1.1.1"


def verify(secret: str, request: Request, tolerance: int = 300) -> dict[str, object]:
    """What a receiver does (WEBHOOKS.md): check the signature and the timestamp's age."""
    timestamp = request.headers["Accord-Webhook-Timestamp"]
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(request.headers["Accord-Webhook-Signature"], f"v1={expected}")
    assert abs(time.time() - int(timestamp)) <= tolerance
    body: dict[str, object] = json.loads(request.body)
    return body


async def register(as_customer: AsCustomer, customer: str, url: str) -> pb.RegisterWebhookResponse:
    stub = await as_customer(customer)
    return await stub.RegisterWebhook(pb.RegisterWebhookRequest(customer_id=customer, url=url))


async def test_a_delivery_is_signed_and_the_receiver_verifies_it(
    as_customer: AsCustomer, orders_events: Orders, unique: str
) -> None:
    customer = f"c-{unique}"
    receiver = Receiver()
    try:
        registered = await register(as_customer, customer, receiver.url)
        assert registered.secret.startswith("whsec_")
        event_id = await order_placed(orders_events, customer, f"o-{unique}")
        [request] = await eventually(lambda: _async(receiver.received()))
    finally:
        receiver.stop()
    body = verify(registered.secret, request)
    assert request.headers["Accord-Webhook-Id"] == f"{event_id}.{registered.webhook.webhook_id}"
    assert body["notificationId"] == event_id
    assert body["customerId"] == customer
    assert body["title"] == f"Order o-{unique} is confirmed"
    assert body["attributes"] == {"orderId": f"o-{unique}", "status": "PENDING"}
    with pytest.raises(AssertionError):  # another secret does not verify
        verify("whsec_not-the-secret", request)


async def test_a_receiver_that_is_down_then_up_gets_the_delivery_exactly_once(
    as_customer: AsCustomer, orders_events: Orders, nc: NatsClient, unique: str
) -> None:
    customer = f"c-{unique}"
    port = free_port()  # nothing listens here yet: every attempt is a refused connection
    registered = await register(as_customer, customer, f"http://127.0.0.1:{port}/hooks")
    event_id = await order_placed(orders_events, customer, f"o-{unique}")
    js = nc.jetstream()

    async def failed_once() -> bool:
        info = await js.consumer_info(WORK_QUEUE, DURABLE)
        return (info.num_redelivered or 0) > 0

    await eventually(failed_once)
    receiver = Receiver(port=port)
    try:
        await eventually(lambda: _async(receiver.received()))

        async def settled() -> bool:  # acked: gone from the work queue
            return (await js.stream_info(WORK_QUEUE)).state.messages == 0

        await eventually(settled)
        requests = receiver.received()
    finally:
        receiver.stop()
    delivery = f"{event_id}.{registered.webhook.webhook_id}"
    assert [r.headers["Accord-Webhook-Id"] for r in requests] == [delivery]
    verify(registered.secret, requests[0])


async def test_a_delivery_that_always_fails_is_dead_lettered_after_the_last_attempt(
    as_customer: AsCustomer, orders_events: Orders, nc: NatsClient, unique: str
) -> None:
    customer = f"c-{unique}"
    receiver = Receiver(status=503)
    try:
        registered = await register(as_customer, customer, receiver.url)
        event_id = await order_placed(orders_events, customer, f"o-{unique}")
        delivery = f"{event_id}.{registered.webhook.webhook_id}"
        subscription = await nc.jetstream().subscribe(DEAD_LETTERS, ordered_consumer=True)
        try:
            while True:
                record = await subscription.next_msg(timeout=15)
                if json.loads(record.data)["deliveryId"] == delivery:
                    break
        finally:
            await subscription.unsubscribe()
        requests = receiver.received()
    finally:
        receiver.stop()
    assert record.headers is not None
    assert "503" in record.headers["accord-dead-letter-reason"]
    assert len(requests) == MAX_ATTEMPTS
    assert {r.headers["Accord-Webhook-Id"] for r in requests} == {delivery}
    assert {r.body for r in requests} == {requests[0].body}  # the same body every time
    for request in requests:
        verify(registered.secret, request)


async def test_deleting_a_webhook_drops_its_deliveries_under_way(
    as_customer: AsCustomer, orders_events: Orders, nc: NatsClient, unique: str
) -> None:
    customer = f"c-{unique}"
    port = free_port()  # down: the delivery keeps failing until the webhook is deleted
    registered = await register(as_customer, customer, f"http://127.0.0.1:{port}/hooks")
    await order_placed(orders_events, customer, f"o-{unique}")
    js = nc.jetstream()

    async def failing() -> bool:
        return ((await js.consumer_info(WORK_QUEUE, DURABLE)).num_redelivered or 0) > 0

    await eventually(failing)
    stub = await as_customer(customer)
    await stub.DeleteWebhook(
        pb.DeleteWebhookRequest(customer_id=customer, webhook_id=registered.webhook.webhook_id)
    )

    async def settled() -> bool:
        return (await js.stream_info(WORK_QUEUE)).state.messages == 0

    await eventually(settled)
    # Acknowledged as soon as the webhook was gone, not dead-lettered after its last attempt.
    records = await _dead_letters(nc)
    assert not [r for r in records if r["webhookId"] == registered.webhook.webhook_id]


async def test_registering_the_same_url_again_replaces_the_secret(
    as_customer: AsCustomer, unique: str
) -> None:
    customer = f"c-{unique}"
    first = await register(as_customer, customer, f"{PUBLIC}/hooks")
    second = await register(as_customer, customer, f"{PUBLIC}/hooks")
    assert first.webhook.webhook_id == second.webhook.webhook_id
    assert first.secret != second.secret


async def test_the_cap_holds_under_concurrent_registrations(
    as_customer: AsCustomer, unique: str
) -> None:
    # Counting, then storing, let 15 registrations racing each other all through.
    customer = f"c-{unique}"
    results = await asyncio.gather(
        *(register(as_customer, customer, f"{PUBLIC}/race/{i}") for i in range(15)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(results) - len(refused) == 10
    assert {r.code() for r in refused} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
    listed = await (await as_customer(customer)).ListWebhooks(
        pb.ListWebhooksRequest(customer_id=customer)
    )
    assert len(listed.webhooks) == 10


async def test_webhooks_are_listed_without_secrets_capped_and_deleted(
    as_customer: AsCustomer, unique: str
) -> None:
    customer = f"c-{unique}"
    stub = await as_customer(customer)
    urls = [f"{PUBLIC}/hooks/{i}" for i in range(10)]
    ids = {(await register(as_customer, customer, url)).webhook.webhook_id for url in urls}
    listed = await stub.ListWebhooks(pb.ListWebhooksRequest(customer_id=customer))
    assert {w.webhook_id for w in listed.webhooks} == ids
    assert "whsec_" not in str(listed)
    with pytest.raises(grpc.aio.AioRpcError) as capped:
        await register(as_customer, customer, f"{PUBLIC}/hooks/11")
    assert capped.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    gone = listed.webhooks[0].webhook_id
    await stub.DeleteWebhook(pb.DeleteWebhookRequest(customer_id=customer, webhook_id=gone))
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await stub.DeleteWebhook(pb.DeleteWebhookRequest(customer_id=customer, webhook_id=gone))
    assert again.value.code() == grpc.StatusCode.NOT_FOUND
    await register(as_customer, customer, f"{PUBLIC}/hooks/11")  # room again
    other = await as_customer(f"d-{unique}")
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await other.ListWebhooks(pb.ListWebhooksRequest(customer_id=customer))
    assert foreign.value.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    "url", ["", "ftp://example.test/x", "example.test/hooks", "https://u:p@example.test/x"]
)
async def test_a_url_that_cannot_be_a_webhook_is_refused(
    as_customer: AsCustomer, unique: str, url: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await register(as_customer, f"c-{unique}", url)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def _dead_letters(nc: NatsClient) -> list[dict[str, object]]:
    return [json.loads(msg.data) for msg in await stored(nc, DEAD_LETTERS)]


async def _async(value: list[Request]) -> list[Request]:
    return value
