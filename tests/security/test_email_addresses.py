"""Email: a customer cannot point their emails at someone else's address.

Before: SetPreferences took any address, and from then on every order and marketing email
of the customer went to it. Now a new address gets one email, its verification code, and
nothing else until the code comes back; the code cannot be guessed in the tries it allows,
and the codes a customer can have sent are few.
"""

from __future__ import annotations

import asyncio
import uuid

import grpc
import nats
import pytest
from acme.notifications.v1 import notifications_pb2 as pb
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from nats.js.errors import KeyNotFoundError

from accord.rpc_status import reason_of
from tests.security.conftest import Platform, stored_events
from tests.support.email import prove_email, verification_code, verification_emails

pytestmark = pytest.mark.e2e

CUSTOMER = ("notifications:read", "notifications:write", "orders:read", "orders:write")
OUTBOX = "acme.notifications.v1.email.outbox"


async def _routed(platform: Platform, notification_id: str) -> None:
    """Wait until notifications handed the notification to every channel it takes."""
    safe = "".join(c if c.isalnum() or c in "-_=" else "_" for c in notification_id)
    nc = await nats.connect(platform.nats_url)
    try:
        kv = await nc.jetstream().key_value("notifications")
        for _ in range(200):
            try:
                await kv.get(f"routed.{safe}")
                return
            except KeyNotFoundError:
                await asyncio.sleep(0.05)
    finally:
        await nc.close()
    raise AssertionError(f"{notification_id} was never routed")


async def _order_confirmed(platform: Platform, channel: grpc.aio.Channel, customer: str) -> str:
    """Place an order, and wait until its confirmation went to every channel."""
    order = await v2_grpc.OrderServiceStub(channel).PlaceOrder(
        v2.PlaceOrderRequest(
            request_id=uuid.uuid4().hex,
            customer_id=customer,
            lines=[v2.OrderLine(sku="TEA-1", quantity=1)],
        )
    )
    notification_id = f"{order.order.order_id}.placed"
    await _routed(platform, notification_id)
    return notification_id


async def test_an_address_gets_nothing_but_its_code_until_it_is_proven(
    platform: Platform, unique: str
) -> None:
    mallory, victim = f"mallory-{unique}", f"victim-{unique}@example.com"
    async with platform.channel(mallory, *CUSTOMER) as channel:
        stub = pb_grpc.NotificationServiceStub(channel)
        given = await stub.SetPreferences(
            pb.SetPreferencesRequest(customer_id=mallory, email=victim)
        )
        assert (given.preferences.email, given.preferences.email_verified) == (victim, False)
        confirmation = await _order_confirmed(platform, channel, mallory)
        emails = await stored_events(platform.nats_url, OUTBOX)
        assert not [e for e in emails if e["customerId"] == mallory]
        assert [e["to"] for e in await verification_emails(platform.nats_url, mallory)] == [victim]

        # Guessing: five wrong codes, and even the right one no longer works.
        code = await verification_code(platform.nats_url, mallory, victim)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for attempt in range(5):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.VerifyEmail(pb.VerifyEmailRequest(customer_id=mallory, code=wrong))
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, attempt
        with pytest.raises(grpc.aio.AioRpcError) as exhausted:
            await stub.VerifyEmail(pb.VerifyEmailRequest(customer_id=mallory, code=code))
        assert exhausted.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert reason_of(exhausted.value) == "EMAIL_CODE_EXHAUSTED"

        # Asking for codes again and again: five a day, then RESOURCE_EXHAUSTED.
        for _ in range(4):
            await stub.SetPreferences(pb.SetPreferencesRequest(customer_id=mallory, email=victim))
        with pytest.raises(grpc.aio.AioRpcError) as flooding:
            await stub.SetPreferences(pb.SetPreferencesRequest(customer_id=mallory, email=victim))
        assert flooding.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert len(await verification_emails(platform.nats_url, mallory)) == 5
    emails = await stored_events(platform.nats_url, OUTBOX)
    assert not [e for e in emails if e["to"] == victim]
    assert confirmation  # routed, to every channel but email


async def test_once_proven_the_address_gets_the_customers_emails(
    platform: Platform, unique: str
) -> None:
    ann, address = f"ann-{unique}", f"ann-{unique}@example.com"
    async with platform.channel(ann, *CUSTOMER) as channel:
        stub = pb_grpc.NotificationServiceStub(channel)
        proven = await prove_email(stub, platform.nats_url, ann, address)
        assert (proven.email, proven.email_verified) == (address, True)
        confirmation = await _order_confirmed(platform, channel, ann)
    emails = await stored_events(platform.nats_url, OUTBOX)
    assert [e["to"] for e in emails if e["notificationId"] == confirmation] == [address]
