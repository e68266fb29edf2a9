"""Personalised marketing journeys: browsing becomes a recommendation email, or does not.

An app streams a customer's browsing (TrackEvents, through the gateway); marketing scores
it per category and brand, and once the strongest score reaches the threshold (10: a view
counts 1, a search 2, a click 3), the customer has opted in and no recommendation went out
within the cool-down, it asks notifications to email the top products.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from acme.marketing.v1 import marketing_pb2 as mk
from acme.marketing.v1 import marketing_pb2_grpc as mk_grpc
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from nats.aio.msg import Msg

from accord.tooling.examples import customer_scopes
from demo.journeys import Demo
from demo.timeline import Timeline

Journey = Callable[[Demo, Timeline], Awaitable[None]]
VERIFICATION = "acme.notifications.v1.email.verification"

SCOPES = customer_scopes()  # a shopper's app, from the contracts' policies


def _event(
    customer: str, event_id: str, kind: mk.BrowsingEventKind.ValueType, **fields: str
) -> mk.TrackEventsRequest:
    return mk.TrackEventsRequest(customer_id=customer, event_id=event_id, kind=kind, **fields)


def _session(customer: str, prefix: str) -> list[mk.TrackEventsRequest]:
    """A burst of browsing for running shoes: shoes reach 11, over the threshold (10)."""
    return [
        _event(
            customer,
            f"{prefix}1",
            mk.BROWSING_EVENT_KIND_SEARCH,
            query="running shoes",
            category="shoes",
        ),
        _event(customer, f"{prefix}2", mk.BROWSING_EVENT_KIND_VIEW, sku="SKU-TRAIL-SHOE"),
        _event(customer, f"{prefix}3", mk.BROWSING_EVENT_KIND_VIEW, sku="SKU-ROAD-SHOE"),
        _event(customer, f"{prefix}4", mk.BROWSING_EVENT_KIND_CLICK, sku="SKU-TRAIL-SHOE"),
        _event(customer, f"{prefix}5", mk.BROWSING_EVENT_KIND_CLICK, sku="SKU-HIKING-BOOT"),
        _event(customer, f"{prefix}6", mk.BROWSING_EVENT_KIND_VIEW, sku="SKU-HIKING-BOOT"),
    ]


async def _prove_email(
    demo: Demo,
    inbox: notes_grpc.NotificationServiceAsyncStub,
    customer: str,
    address: str,
    timeline: Timeline,
) -> None:
    """Give the address, then prove it with the code the verification email carries (read
    here from the outbox, where a mail sender would take it to the customer's mailbox)."""
    codes: asyncio.Queue[str] = asyncio.Queue()

    async def arrived(msg: Msg) -> None:
        payload = json.loads(msg.data)
        if payload.get("customerId") == customer:
            await codes.put(str(payload["code"]))

    subscription = await demo.nats.subscribe(VERIFICATION, cb=arrived)
    try:
        await inbox.SetPreferences(notes.SetPreferencesRequest(customer_id=customer, email=address))
        timeline.note("gateway", f"SetPreferences: email {address} (unproven: only a code goes)")
        code = await asyncio.wait_for(codes.get(), 10)
    finally:
        await subscription.unsubscribe()
    await inbox.VerifyEmail(notes.VerifyEmailRequest(customer_id=customer, code=code))
    timeline.note("gateway", "VerifyEmail: the emailed code → the address is proven")


def _scores(profile: mk.Profile) -> str:
    scores = [*profile.category_scores, *profile.brand_scores]
    return ", ".join(f"{s.name} {s.score:.1f}" for s in scores) or "none"


def _decision(profile: mk.Profile) -> str:
    return mk.RecommendationDecision.Name(profile.last_decision).removeprefix(
        "RECOMMENDATION_DECISION_"
    )


async def _profile_when(
    marketing: mk_grpc.MarketingServiceAsyncStub,
    customer: str,
    ready: Callable[[mk.Profile], bool],
) -> mk.Profile:
    for _ in range(300):  # up to 15 s
        profile = (await marketing.GetProfile(mk.GetProfileRequest(customer_id=customer))).profile
        if ready(profile):
            return profile
        await asyncio.sleep(0.05)
    return profile


def _settled(events: int) -> Callable[[mk.Profile], bool]:
    return lambda p: (
        p.events_applied == events and (p.last_contact.status != mk.CONTACT_STATUS_PENDING)
    )


async def recommendation_email(demo: Demo, timeline: Timeline) -> None:
    gina = demo.customer("gina")
    timeline.follow(gina)
    async with demo.channel(gina, *SCOPES) as channel:
        marketing = mk_grpc.MarketingServiceStub(channel)
        inbox = notes_grpc.NotificationServiceStub(channel)
        await _prove_email(demo, inbox, gina, "gina@example.com", timeline)
        await marketing.SetConsent(
            mk.SetConsentRequest(customer_id=gina, status=mk.CONSENT_STATUS_OPTED_IN)
        )
        timeline.note("gateway", "SetConsent: OPTED_IN")
        tracked = await marketing.TrackEvents(iter(_session(gina, "s")))
        accepted = tracked.accepted_count
        timeline.note("gateway", f"TrackEvents: a search, 3 views, 2 clicks → {accepted} accepted")
        again = await marketing.TrackEvents(iter(_session(gina, "s")))
        timeline.note(
            "gateway",
            f"TrackEvents again (a retried stream) → {again.duplicate_count} duplicates, "
            "nothing counted twice",
        )
        profile = await _profile_when(marketing, gina, _settled(6))
        timeline.note("marketing", f"profile: {_scores(profile)}")
        contact = profile.last_contact
        status = mk.ContactStatus.Name(contact.status).removeprefix("CONTACT_STATUS_")
        timeline.note(
            "marketing",
            f"threshold reached at {contact.trigger_event_id}: {contact.notification_id} "
            f"{status}, listing {', '.join(contact.skus)}",
        )
        listed = await inbox.ListNotifications(notes.ListNotificationsRequest(customer_id=gina))
        for note in listed.notifications:
            timeline.note("notifications", f"email to gina@example.com: {note.title}")
        # More interest, within the cool-down (a week): decided, not sent.
        more = [
            _event(gina, "t1", mk.BROWSING_EVENT_KIND_CLICK, sku="SKU-DAYPACK"),
            _event(gina, "t2", mk.BROWSING_EVENT_KIND_CLICK, sku="SKU-RAIN-JACKET"),
        ]
        await marketing.TrackEvents(iter(more))
        timeline.note("gateway", "TrackEvents: 2 more clicks, within the cool-down")
        profile = await _profile_when(marketing, gina, _settled(8))
        timeline.note("marketing", f"profile: {_scores(profile)} → {_decision(profile)}")


async def no_consent_then_opt_out(demo: Demo, timeline: Timeline) -> None:
    hal = demo.customer("hal")
    timeline.follow(hal)
    async with demo.channel(hal, *SCOPES) as channel:
        marketing = mk_grpc.MarketingServiceStub(channel)
        await marketing.TrackEvents(iter(_session(hal, "s")))
        timeline.note("gateway", "TrackEvents: the same burst, but hal never opted in")
        profile = await _profile_when(marketing, hal, _settled(6))
        timeline.note("marketing", f"profile: {_scores(profile)} → {_decision(profile)}")
        await marketing.SetConsent(
            mk.SetConsentRequest(customer_id=hal, status=mk.CONSENT_STATUS_OPTED_IN)
        )
        timeline.note("gateway", "SetConsent: OPTED_IN")
        await marketing.TrackEvents(
            iter([_event(hal, "u1", mk.BROWSING_EVENT_KIND_CLICK, sku="SKU-SANDAL")])
        )
        timeline.note("gateway", "TrackEvents: one more click")
        profile = await _profile_when(
            marketing, hal, lambda p: p.last_contact.status == mk.CONTACT_STATUS_PENDING
        )
        timeline.note("marketing", f"{profile.last_contact.notification_id} PENDING (settling)")
        await marketing.SetConsent(
            mk.SetConsentRequest(customer_id=hal, status=mk.CONSENT_STATUS_OPTED_OUT)
        )
        timeline.note("gateway", "SetConsent: OPTED_OUT, while the email is in flight")
        profile = await _profile_when(marketing, hal, _settled(7))
        status = mk.ContactStatus.Name(profile.last_contact.status).removeprefix("CONTACT_STATUS_")
        timeline.note("marketing", f"{profile.last_contact.notification_id} {status}: nothing sent")


JOURNEYS: list[tuple[str, Journey]] = [
    ("Marketing: browsing turns into one recommendation email", recommendation_email),
    ("Marketing: no consent, no email; an opt-out stops one in flight", no_consent_then_opt_out),
]
