"""The marketing service on real NATS: tracking, profiles, consent, and a send in flight."""

from __future__ import annotations

import json

import grpc
import pytest
from acme.marketing.v1 import marketing_pb2 as pb
from google.rpc import error_details_pb2
from nats.aio.client import Client as NatsClient

from accord.rpc_status import details_of
from tests.integration.marketing.conftest import StubAs, click, profile_when, view
from tests.support.bus import stored

pytestmark = pytest.mark.integration

SUBJECT = "acme.marketing.v1.browsing.tracked"


async def _stored(nats_client: NatsClient, customer: str) -> list[tuple[str, dict[str, str]]]:
    """Every browsing event stored for `customer`: its `ce-id` and payload."""
    events = [(msg, json.loads(msg.data)) for msg in await stored(nats_client, SUBJECT, 5)]
    return [
        ((msg.headers or {}).get("ce-id", ""), body)
        for msg, body in events
        if body["customerId"] == customer
    ]


def _bad_fields(error: grpc.aio.AioRpcError) -> list[str]:
    for detail in details_of(error):
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            return [v.field for v in bad.field_violations]
    return []


async def test_each_event_is_stored_once_under_the_apps_id(
    stub_as: StubAs, nats_client: NatsClient, unique: str
) -> None:
    ann = f"ann-{unique}"
    events = [
        view(ann, "e1"),
        click(ann, "e2"),
        pb.TrackEventsRequest(
            customer_id=ann,
            event_id="e3",
            kind=pb.BROWSING_EVENT_KIND_SEARCH,
            query="waterproof boots",
            category="shoes",
        ),
    ]
    async with stub_as(ann) as marketing:
        first = await marketing.TrackEvents(iter(events))
        again = await marketing.TrackEvents(iter(events))  # a retried stream
    assert (first.accepted_count, first.duplicate_count) == (3, 0)
    assert (again.accepted_count, again.duplicate_count) == (3, 3)
    stored = await _stored(nats_client, ann)
    assert [ce_id for ce_id, _ in stored] == [f"{ann}.e1", f"{ann}.e2", f"{ann}.e3"]
    assert stored[2][1]["kind"] == "SEARCH"
    assert (stored[2][1]["query"], stored[2][1]["category"]) == ("waterproof boots", "shoes")
    assert "sku" not in stored[2][1]


async def test_one_bad_event_refuses_the_whole_stream(
    stub_as: StubAs, nats_client: NatsClient, unique: str
) -> None:
    bo = f"bo-{unique}"
    async with stub_as(bo) as marketing:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await marketing.TrackEvents(iter([click(bo, "e1"), click(bo, "e2", sku="SKU-NOPE")]))
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert _bad_fields(refused.value) == ["events[1].sku"]
    assert await _stored(nats_client, bo) == []


async def test_scores_below_the_threshold_recommend_nothing(stub_as: StubAs, unique: str) -> None:
    cy = f"cy-{unique}"
    async with stub_as(cy) as marketing:
        await marketing.SetConsent(
            pb.SetConsentRequest(customer_id=cy, status=pb.CONSENT_STATUS_OPTED_IN)
        )
        # 1 + 1 + 3 = 5 for shoes and for acme-outdoor: half the threshold (10).
        await marketing.TrackEvents(iter([view(cy, "e1"), view(cy, "e2"), click(cy, "e3")]))
        profile = await profile_when(marketing, cy, lambda p: p.events_applied == 3)
    assert profile.last_decision == pb.RECOMMENDATION_DECISION_BELOW_THRESHOLD
    assert not profile.HasField("last_contact")
    assert [(s.name, round(s.score, 3)) for s in profile.category_scores] == [("shoes", 5.0)]
    assert [p.sku for p in profile.recommendations] == [
        "SKU-HIKING-BOOT",
        "SKU-TRAIL-SHOE",
        "SKU-BOTTLE",
    ]


async def test_without_consent_the_threshold_recommends_nothing(
    stub_as: StubAs, unique: str
) -> None:
    di = f"di-{unique}"
    async with stub_as(di) as marketing:
        await marketing.TrackEvents(iter([click(di, f"e{n}") for n in range(4)]))
        profile = await profile_when(marketing, di, lambda p: p.events_applied == 4)
        consent = (await marketing.GetConsent(pb.GetConsentRequest(customer_id=di))).consent
    assert profile.last_decision == pb.RECOMMENDATION_DECISION_NO_CONSENT
    assert not profile.HasField("last_contact")
    assert consent.status == pb.CONSENT_STATUS_OPTED_OUT
    assert not consent.HasField("update_time")  # never chose


async def test_an_opt_out_cancels_a_recommendation_in_flight(stub_as: StubAs, unique: str) -> None:
    ed = f"ed-{unique}"
    async with stub_as(ed) as marketing:
        await marketing.SetConsent(
            pb.SetConsentRequest(customer_id=ed, status=pb.CONSENT_STATUS_OPTED_IN)
        )
        await marketing.TrackEvents(iter([click(ed, f"e{n}") for n in range(4)]))
        # Decided, and its send failing for now (no gateway): in flight.
        pending = await profile_when(
            marketing, ed, lambda p: p.last_contact.status == pb.CONTACT_STATUS_PENDING
        )
        assert pending.last_contact.notification_id == f"marketing.{ed}.1"
        # Whichever click the consumer applied last crossed the threshold (it runs several
        # events at once); the recommendation is one either way.
        assert pending.last_contact.trigger_event_id in {f"{ed}.e{n}" for n in range(4)}
        await marketing.SetConsent(
            pb.SetConsentRequest(customer_id=ed, status=pb.CONSENT_STATUS_OPTED_OUT)
        )
        # The retry reads consent from the store right before sending: nothing goes.
        cancelled = await profile_when(
            marketing, ed, lambda p: p.last_contact.status == pb.CONTACT_STATUS_CANCELLED
        )
    assert cancelled.last_contact.notification_id == f"marketing.{ed}.1"
    assert not cancelled.last_contact.emailed


async def test_consent_must_be_a_choice(stub_as: StubAs, unique: str) -> None:
    fay = f"fay-{unique}"
    async with stub_as(fay) as marketing:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await marketing.SetConsent(pb.SetConsentRequest(customer_id=fay))
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert _bad_fields(refused.value) == ["status"]
        chosen = await marketing.SetConsent(
            pb.SetConsentRequest(customer_id=fay, status=pb.CONSENT_STATUS_OPTED_IN)
        )
        read = await marketing.GetConsent(pb.GetConsentRequest(customer_id=fay))
    assert read.consent == chosen.consent
    assert read.consent.status == pb.CONSENT_STATUS_OPTED_IN


async def test_a_customer_reaches_only_their_own_profile(stub_as: StubAs, unique: str) -> None:
    gus, hal = f"gus-{unique}", f"hal-{unique}"
    async with stub_as(gus) as marketing:
        for call in (
            marketing.GetProfile(pb.GetProfileRequest(customer_id=hal)),
            marketing.TrackEvents(iter([click(gus, "e1"), click(hal, "e2")])),
            marketing.SetConsent(
                pb.SetConsentRequest(customer_id=hal, status=pb.CONSENT_STATUS_OPTED_IN)
            ),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call
            assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
    async with stub_as("staff", "marketing:read", "marketing:admin") as staff:
        profile = (await staff.GetProfile(pb.GetProfileRequest(customer_id=hal))).profile
    assert profile.customer_id == hal
    assert profile.events_applied == 0
