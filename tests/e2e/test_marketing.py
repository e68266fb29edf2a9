"""Personalised marketing through the gateway: browsing → profile → recommendation email.

An app streams a customer's browsing with TrackEvents; marketing scores it and, once the
customer's interest reaches the threshold, they opted in and the cool-down allows, asks
notifications (through the gateway, as svc-marketing) to email the top products. The
email is checked where notifications puts it: the customer's notifications and the email
outbox stream. Negative cases wait for marketing's own record of its decision (GetProfile)
rather than for time to pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import grpc
import nats
import pytest
from acme.marketing.v1 import marketing_pb2 as mk
from acme.marketing.v1 import marketing_pb2_grpc as mk_grpc
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc

from tests.e2e.conftest import Platform, stored_events
from tests.support.email import prove_email

pytestmark = pytest.mark.e2e

CUSTOMER = (
    "marketing:track",
    "marketing:read",
    "marketing:write",
    "notifications:read",
    "notifications:write",
)
OUTBOX = "acme.notifications.v1.email.outbox"
TRACKED = "acme.marketing.v1.browsing.tracked"


class Shopper:
    """One customer's app, through the gateway."""

    def __init__(self, channel: grpc.aio.Channel, customer: str, nats_url: str) -> None:
        self.customer = customer
        self.marketing = mk_grpc.MarketingServiceStub(channel)
        self.notifications = notes_grpc.NotificationServiceStub(channel)
        self._nats_url = nats_url

    async def email(self, address: str) -> None:
        """Give the address and prove it with the emailed code."""
        await prove_email(self.notifications, self._nats_url, self.customer, address)

    async def consent(self, status: mk.ConsentStatus.ValueType) -> None:
        await self.marketing.SetConsent(
            mk.SetConsentRequest(customer_id=self.customer, status=status), timeout=10
        )

    async def opted_in(self, address: str) -> None:
        """A proven address, and consent to be sent recommendations."""
        await self.email(address)
        await self.consent(mk.CONSENT_STATUS_OPTED_IN)

    async def clicks(self, *event_ids: str, sku: str = "SKU-TRAIL-SHOE") -> mk.TrackEventsResponse:
        events = [
            mk.TrackEventsRequest(
                customer_id=self.customer,
                event_id=event_id,
                kind=mk.BROWSING_EVENT_KIND_CLICK,
                sku=sku,
            )
            for event_id in event_ids
        ]
        return await self.marketing.TrackEvents(iter(events), timeout=10)

    async def profile_when(self, ready: Callable[[mk.Profile], bool]) -> mk.Profile:
        deadline = asyncio.get_running_loop().time() + 15
        while True:
            reply = await self.marketing.GetProfile(
                mk.GetProfileRequest(customer_id=self.customer), timeout=10
            )
            if ready(reply.profile):
                return reply.profile
            assert asyncio.get_running_loop().time() < deadline, f"stuck at {reply.profile}"
            await asyncio.sleep(0.05)

    async def settled(self, events: int) -> mk.Profile:
        """The profile once `events` are applied and no recommendation is pending."""
        return await self.profile_when(
            lambda p: (
                p.events_applied == events and p.last_contact.status != mk.CONTACT_STATUS_PENDING
            )
        )

    async def recommendations(self) -> list[notes.Notification]:
        listed = await self.notifications.ListNotifications(
            notes.ListNotificationsRequest(customer_id=self.customer), timeout=10
        )
        return [
            n for n in listed.notifications if n.event_type == "acme.marketing.v1.recommendation"
        ]


@pytest.fixture
async def shopper(platform: Platform) -> AsyncIterator[Callable[[str], Shopper]]:
    """`shopper("ann-...")`: that customer's app, with a token of the customer scopes."""
    channels: list[grpc.aio.Channel] = []

    def open_shopper(customer: str) -> Shopper:
        channel = platform.channel(customer, *CUSTOMER)
        channels.append(channel)
        return Shopper(channel, customer, platform.nats_url)

    try:
        yield open_shopper
    finally:
        for channel in channels:
            await channel.close()


async def _read_stream(nats_url: str, subject: str, customer: str) -> list[dict[str, str]]:
    """Every message stored on `subject` whose payload names `customer`."""
    return [e for e in await stored_events(nats_url, subject) if e["customerId"] == customer]


async def _store_again(nats_url: str, ce_id: str) -> None:
    """Publish the stored browsing event `ce_id` again, headers and payload unchanged."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        subscription = await js.subscribe(TRACKED, ordered_consumer=True)
        while True:
            msg = await subscription.next_msg(timeout=5)
            headers = dict(msg.headers or {})
            if headers.get("ce-id") == ce_id:
                headers.pop("Nats-Msg-Id", None)
                await js.publish(TRACKED, msg.data, headers=headers)
                return
    finally:
        await nc.close()


async def _consumed(nats_url: str) -> None:
    """Until marketing's consumer has handled everything stored so far."""
    nc = await nats.connect(nats_url)
    try:
        deadline = asyncio.get_running_loop().time() + 15
        while True:
            info = await nc.jetstream().consumer_info("MARKETING", "marketing-browsing-tracked")
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return
            assert asyncio.get_running_loop().time() < deadline, f"still busy: {info}"
            await asyncio.sleep(0.05)
    finally:
        await nc.close()


async def _outbox(nats_url: str, customer: str) -> list[dict[str, str]]:
    """Every email in notifications' outbox for `customer`."""
    return await _read_stream(nats_url, OUTBOX, customer)


async def test_a_strong_interest_is_emailed_once_then_cools_down(
    platform: Platform, shopper: Callable[[str], Shopper], unique: str
) -> None:
    ann = shopper(f"ann-{unique}")
    await ann.opted_in("ann@example.com")
    # 4 clicks on the trail shoe: shoes and acme-outdoor reach 12, over the threshold (10).
    tracked = await ann.clicks("c1", "c2", "c3", "c4")
    assert tracked.accepted_count == 4
    profile = await ann.settled(4)
    contact = profile.last_contact
    assert contact.status == mk.CONTACT_STATUS_SENT
    assert contact.emailed
    assert contact.notification_id == f"marketing.{ann.customer}.1"
    # shoes + acme-outdoor first (by SKU), then the other acme-outdoor products by SKU.
    assert list(contact.skus) == ["SKU-HIKING-BOOT", "SKU-TRAIL-SHOE", "SKU-BOTTLE"]

    [email] = await _outbox(platform.nats_url, ann.customer)
    assert email["to"] == "ann@example.com"
    assert email["notificationId"] == contact.notification_id
    assert "Waterproof hiking boot" in email["body"]
    assert "SKU-TRAIL-SHOE" in email["body"]

    # More interest within the cool-down: decided COOLING_DOWN, nothing sent.
    await ann.clicks("c5", "c6", sku="SKU-DAYPACK")
    again = await ann.settled(6)
    assert again.last_decision == mk.RECOMMENDATION_DECISION_COOLING_DOWN
    assert again.last_contact.notification_id == contact.notification_id
    assert [n.notification_id for n in await ann.recommendations()] == [contact.notification_id]
    assert len(await _outbox(platform.nats_url, ann.customer)) == 1


async def test_a_redelivered_trigger_sends_nothing_again(
    platform: Platform, shopper: Callable[[str], Shopper], unique: str
) -> None:
    eve = shopper(f"eve-{unique}")
    await eve.opted_in("eve@example.com")
    await eve.clicks("c1", "c2", "c3", "c4")
    sent = (await eve.settled(4)).last_contact
    assert sent.status == mk.CONTACT_STATUS_SENT
    # The triggering event once more, as a redelivery brings it: same payload, same ce-id
    # (stored again: no Nats-Msg-Id, so the stream's duplicate window does not stop it).
    await _store_again(platform.nats_url, sent.trigger_event_id)
    await _consumed(platform.nats_url)
    profile = await eve.settled(4)
    assert profile.last_contact == sent
    assert len(await eve.recommendations()) == 1
    assert len(await _outbox(platform.nats_url, eve.customer)) == 1


async def test_below_the_threshold_or_without_consent_nothing_is_sent(
    platform: Platform, shopper: Callable[[str], Shopper], unique: str
) -> None:
    bo, cy = shopper(f"bo-{unique}"), shopper(f"cy-{unique}")
    for customer in (bo, cy):
        await customer.email(f"{customer.customer}@example.com")
    await bo.consent(mk.CONSENT_STATUS_OPTED_IN)
    await bo.clicks("c1", "c2", "c3")  # 9: just below the threshold
    await cy.clicks("c1", "c2", "c3", "c4", "c5")  # 15, but cy never opted in
    below = await bo.settled(3)
    unconsented = await cy.settled(5)
    assert below.last_decision == mk.RECOMMENDATION_DECISION_BELOW_THRESHOLD
    assert unconsented.last_decision == mk.RECOMMENDATION_DECISION_NO_CONSENT
    for customer, profile in ((bo, below), (cy, unconsented)):
        assert not profile.HasField("last_contact")
        assert await customer.recommendations() == []
        assert await _outbox(platform.nats_url, customer.customer) == []


async def test_an_opt_out_stops_a_recommendation_already_decided(
    platform: Platform, shopper: Callable[[str], Shopper], unique: str
) -> None:
    di = shopper(f"di-{unique}")
    await di.opted_in("di@example.com")
    await di.clicks("c1", "c2", "c3", "c4")
    # Decided and waiting out the settle time (3 s here): in flight.
    await di.profile_when(lambda p: p.last_contact.status == mk.CONTACT_STATUS_PENDING)
    await di.consent(mk.CONSENT_STATUS_OPTED_OUT)
    profile = await di.settled(4)
    assert profile.last_contact.status == mk.CONTACT_STATUS_CANCELLED
    assert await di.recommendations() == []
    assert await _outbox(platform.nats_url, di.customer) == []


async def test_a_customer_cannot_track_or_read_for_another(
    platform: Platform, shopper: Callable[[str], Shopper], unique: str
) -> None:
    alice, bob = shopper(f"alice-{unique}"), f"bob-{unique}"
    refused = []
    for call in (
        alice.marketing.GetProfile(mk.GetProfileRequest(customer_id=bob), timeout=10),
        alice.marketing.TrackEvents(
            iter(
                [
                    mk.TrackEventsRequest(
                        customer_id=alice.customer,
                        event_id="mine",
                        kind=mk.BROWSING_EVENT_KIND_VIEW,
                        sku="SKU-TOTE",
                    ),
                    mk.TrackEventsRequest(
                        customer_id=bob,
                        event_id="theirs",
                        kind=mk.BROWSING_EVENT_KIND_VIEW,
                        sku="SKU-TOTE",
                    ),
                ]
            ),
            timeout=10,
        ),
        alice.marketing.SetConsent(
            mk.SetConsentRequest(customer_id=bob, status=mk.CONSENT_STATUS_OPTED_IN), timeout=10
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await call
        refused.append(denied.value.code())
    assert refused == [grpc.StatusCode.PERMISSION_DENIED] * 3
    # Bob's event never reaches the stream. Alice's own event before it is not stored either,
    # unless the gateway's cancellation reached marketing only after the stream's end
    # (accord/client_streams.py): then once, and a resend counts it once.
    stored = await _read_stream(platform.nats_url, TRACKED, alice.customer)
    assert [event["eventId"] for event in stored] in ([], ["mine"])
    assert await _read_stream(platform.nats_url, TRACKED, bob) == []
