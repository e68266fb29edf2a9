"""Routing: one notification per event, on every channel the customer has, once."""

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from acme.notifications.v1 import notifications_pb2 as pb
from acme_events.banking import Application as Banking
from acme_events.orders import Application as Orders
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.errors import KeyNotFoundError

from accord.tooling.nats_server import NatsServer
from tests.integration.notifications.conftest import AsCustomer
from tests.integration.notifications.publish import order_placed, order_status, transfer_status
from tests.integration.notifications.receiver import Receiver
from tests.integration.notifications.test_webhooks import verify
from tests.support.bus import stored
from tests.support.email import prove_email
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

OUTBOX = "acme.notifications.v1.email.outbox"


async def stored_where(
    nc: NatsClient, subject: str, wanted: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Every message stored on `subject` so far whose JSON body is `wanted`."""
    return [body for body in map(json_body, await stored(nc, subject)) if wanted(body)]


def json_body(msg: Msg) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(msg.data)
    return body


async def routed(nc: NatsClient, notification_id: str) -> bool:
    """Whether the service handed the notification to every channel (its `routed` marker)."""
    kv = await nc.jetstream().key_value("notifications")
    safe = "".join(c if c.isalnum() or c in "-_=" else "_" for c in notification_id)
    try:
        await kv.get(f"routed.{safe}")
    except KeyNotFoundError:
        return False
    return True


@contextlib.asynccontextmanager
async def on_every_channel(
    as_customer: AsCustomer, server: NatsServer, customer: str
) -> AsyncIterator[tuple[Any, Receiver, pb.RegisterWebhookResponse]]:
    """A customer reachable on every channel: in the app (the stub), by a proven email
    address, and by a webhook to a receiver that stops after."""
    stub = await as_customer(customer)
    await prove_email(stub, server.url, customer, f"{customer}@example.test")
    receiver = Receiver()
    try:
        hook = await stub.RegisterWebhook(
            pb.RegisterWebhookRequest(customer_id=customer, url=receiver.url)
        )
        yield stub, receiver, hook
    finally:
        receiver.stop()


async def listed(stub: Any, customer: str, expected: int) -> list[pb.Notification]:
    async def enough() -> list[pb.Notification] | None:
        reply = await stub.ListNotifications(pb.ListNotificationsRequest(customer_id=customer))
        return list(reply.notifications) if len(reply.notifications) >= expected else None

    return await eventually(enough)


async def test_a_customer_with_an_address_gets_the_rendered_email_in_the_outbox(
    as_customer: AsCustomer,
    orders_events: Orders,
    nc: NatsClient,
    notifications_nats: NatsServer,
    unique: str,
) -> None:
    customer = f"c-{unique}"
    stub = await as_customer(customer)
    address = f"{customer}@example.test"
    preferences = await prove_email(stub, notifications_nats.url, customer, address)
    assert (preferences.email, preferences.email_verified) == (address, True)
    event_id = await order_placed(orders_events, customer, f"o-{unique}")
    [email] = await eventually(
        lambda: stored_where(nc, OUTBOX, lambda body: body["notificationId"] == event_id)
    )
    assert email["to"] == f"{customer}@example.test"
    assert email["customerId"] == customer
    assert email["subject"] == f"Order o-{unique} is confirmed"
    assert "12.50 EUR" in email["body"]


async def test_a_customer_without_an_address_gets_no_email(
    as_customer: AsCustomer, orders_events: Orders, nc: NatsClient, unique: str
) -> None:
    customer = f"c-{unique}"
    event_id = await order_placed(orders_events, customer, f"o-{unique}")
    await eventually(lambda: routed(nc, event_id))
    assert await stored_where(nc, OUTBOX, lambda body: body["customerId"] == customer) == []


async def test_a_bad_address_is_refused(as_customer: AsCustomer, unique: str) -> None:
    import grpc

    stub = await as_customer(f"c-{unique}")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.SetPreferences(pb.SetPreferencesRequest(customer_id=f"c-{unique}", email="no"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_shipped_and_cancelled_orders_are_notified_with_the_reason(
    as_customer: AsCustomer, orders_events: Orders, unique: str
) -> None:
    customer = f"c-{unique}"
    shipped, cancelled = f"s-{unique}", f"x-{unique}"
    await order_placed(orders_events, customer, shipped)
    await order_placed(orders_events, customer, cancelled)
    await order_status(orders_events, shipped, "PENDING", "PAID")  # a step customers don't hear
    await order_status(orders_events, shipped, "PAID", "RESERVED")
    await order_status(orders_events, shipped, "RESERVED", "SHIPPED")
    await order_status(orders_events, cancelled, "PENDING", "CANCELLED", reason="card declined")
    notes = await listed(await as_customer(customer), customer, expected=4)
    news = {n.title: n for n in notes}
    assert set(news) == {
        f"Order {shipped} is confirmed",
        f"Order {cancelled} is confirmed",
        f"Order {shipped} has shipped",
        f"Order {cancelled} was cancelled",
    }
    gone = news[f"Order {cancelled} was cancelled"]
    assert "Reason: card declined." in gone.body
    assert dict(gone.attributes) == {
        "orderId": cancelled,
        "status": "CANCELLED",
        "reason": "card declined",
    }
    assert dict(news[f"Order {shipped} has shipped"].attributes)["status"] == "SHIPPED"


async def test_a_transfer_outcome_has_the_same_id_and_status_on_every_channel(
    as_customer: AsCustomer,
    banking_events: Banking,
    nc: NatsClient,
    notifications_nats: NatsServer,
    unique: str,
) -> None:
    customer = f"c-{unique}"
    async with on_every_channel(as_customer, notifications_nats, customer) as (
        stub,
        receiver,
        hook,
    ):
        subscription = stub.Subscribe(pb.SubscribeRequest(customer_id=customer))
        event_id = await transfer_status(banking_events, customer, f"t-{unique}", "HELD_FOR_REVIEW")
        response = await subscription.read()
        assert isinstance(response, pb.SubscribeResponse)
        inapp = response.notification
        subscription.cancel()
        [request] = await eventually(lambda: _now(receiver.received()))
    [email] = await eventually(
        lambda: stored_where(nc, OUTBOX, lambda body: body["notificationId"] == event_id)
    )
    webhook = verify(hook.secret, request)
    expected = {"transferId": f"t-{unique}", "status": "HELD_FOR_REVIEW"}
    assert {k: inapp.attributes[k] for k in expected} == expected
    assert {k: webhook["attributes"][k] for k in expected} == expected  # type: ignore[index]
    assert inapp.title == webhook["title"] == email["subject"]
    assert inapp.title == f"Transfer t-{unique} is held for review"
    assert "900.50 EUR" in email["body"]


async def test_an_event_seen_twice_notifies_once_on_every_channel(
    as_customer: AsCustomer,
    orders_events: Orders,
    nc: NatsClient,
    notifications_nats: NatsServer,
    unique: str,
) -> None:
    customer = f"c-{unique}"
    async with on_every_channel(as_customer, notifications_nats, customer) as (stub, receiver, _):
        event_id = await order_placed(orders_events, customer, f"o-{unique}")
        await eventually(lambda: routed(nc, event_id))
        # The same event again, past JetStream's duplicate detection (another Nats-Msg-Id),
        # as after an upstream retry outside the duplicate window.
        await order_placed(orders_events, customer, f"o-{unique}", again="retry")
        # A later event of the customer: once it is through, the repeat was handled too
        # (one consumer, in stream order).
        later = await order_placed(orders_events, customer, f"p-{unique}")
        await eventually(lambda: routed(nc, later))
        await eventually(lambda: _now(len(receiver.received()) >= 2))
        requests = receiver.received()
    notes = await listed(stub, customer, expected=2)
    assert [n.notification_id for n in notes] == [event_id, later]
    inapp = await stored_where(nc, f"acme.notifications.v1.inapp.{customer}", lambda body: True)
    assert [m["notificationId"] for m in inapp] == [event_id, later]
    emails = await stored_where(nc, OUTBOX, lambda body: body["customerId"] == customer)
    assert [m["notificationId"] for m in emails] == [event_id, later]
    assert sorted(json.loads(r.body)["notificationId"] for r in requests) == sorted(
        [event_id, later]
    )


async def _now(value: Any) -> Any:
    return value
