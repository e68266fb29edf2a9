"""A browsing event is counted in its customer's profile once, however late it comes again.

The recommender runs over a real nats-server, on this test's own buckets. Between an event's
first delivery and its replay the customer sends more events than a bounded memory of recent
ids (the profile kept 256) could hold. The customer never opted in, so nothing is sent: no
notifications service listens at the channel's address, and none is asked.
"""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from nats.aio.client import Client as NatsClient

from services.marketing.notifier import Notifier
from services.marketing.profile import BrowsingEvent
from services.marketing.recommender import Recommender
from services.marketing.rules import Rules
from services.marketing.scoring import Kind
from services.marketing.store import ConsentStore, Profiles

pytestmark = pytest.mark.integration

LATER_EVENTS = 257  # one more than the profile's old memory of applied ids
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RULES = Rules(threshold=10.0, half_life=timedelta(days=1), cool_down=timedelta(days=7), top_n=3)


@pytest.fixture
async def recommender(nats_client: NatsClient, unique: str) -> AsyncIterator[Recommender]:
    js = nats_client.jetstream()
    profiles = await js.create_key_value(bucket=f"marketing_profiles_{unique}")
    counted = await js.create_key_value(bucket=f"marketing_counted_{unique}")
    consent = await js.create_key_value(bucket=f"marketing_consent_{unique}")
    async with grpc.aio.insecure_channel("127.0.0.1:1") as nowhere:  # nothing listens
        yield Recommender(
            Profiles(profiles, counted), ConsentStore(consent), Notifier(nowhere, 0.3), RULES, 0
        )


def click(customer: str, n: int) -> BrowsingEvent:
    return BrowsingEvent(f"{customer}.e{n}", customer, Kind.CLICK, AT, sku="SKU-TRAIL-SHOE")


async def test_a_replay_after_many_later_events_counts_nothing(recommender: Recommender) -> None:
    for n in range(LATER_EVENTS + 1):
        await recommender.handle(click("cara", n))
    before, _ = await recommender.profiles.read("cara")
    assert before.events_applied == LATER_EVENTS + 1

    await recommender.handle(click("cara", 0))  # the first event, redelivered or replayed

    after, _ = await recommender.profiles.read("cara")
    assert after.events_applied == before.events_applied, "the event was counted twice"
    assert after.categories == before.categories
    assert after.brands == before.brands


async def test_a_profile_written_before_the_markers_keeps_its_counted_events(
    recommender: Recommender,
) -> None:
    """Its `applied` list still says which events it counted; it is read, not grown."""
    old = {
        "customer_id": "dan",
        "as_of": AT.isoformat(),
        "categories": {"shoes": 3.0},
        "brands": {"acme-outdoor": 3.0},
        "applied": ["dan.e1"],
        "events_applied": 1,
        "last_decision": "BELOW_THRESHOLD",
    }
    await recommender.profiles.kv.put("profile.dan", json.dumps(old).encode())

    await recommender.handle(click("dan", 1))
    counted_before, _ = await recommender.profiles.read("dan")
    assert (counted_before.events_applied, counted_before.categories) == (1, {"shoes": 3.0})

    await recommender.handle(click("dan", 2))
    await recommender.handle(click("dan", 2))
    profile, _ = await recommender.profiles.read("dan")
    assert (profile.events_applied, profile.categories) == (2, {"shoes": 6.0})
    assert profile.applied == ["dan.e1"]
