"""The marketing buckets: profiles (compare-and-set), the events they counted, and consent
(read fresh, every time).

- `marketing_profiles`, `profile.<customerId>`: the ProfileRecord.
- `marketing_counted`, `applied.<customerId>.<eventId>`: the marker of a browsing event a
  profile counted, empty, kept 31 days (the contract says why that is long enough). An
  event is counted once as a step of `accord.exactly_once`: the scores (and the decision)
  and the profile's `pending` map change in one compare-and-set, then the marker is
  created, then the event leaves `pending`. A redelivered event, or one sent again however
  many events of the customer later, finds itself pending or marked and counts nothing.
  The profile holds only the events in flight, never a history. (Profiles written before
  the markers kept their last 256 events in `applied`; an event named there counts as
  counted.)
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from nats.js.kv import KeyValue

from accord import kvjson, kvrecords
from accord.exactly_once import ExactlyOnce, RecordNotFound, Step
from services.marketing.records import ConsentRecord, ProfileRecord

PROFILES_BUCKET = "marketing_profiles"
COUNTED_BUCKET = "marketing_counted"
CONSENT_BUCKET = "marketing_consent"


@dataclass(frozen=True, slots=True)
class Profiles:
    kv: KeyValue
    counted: KeyValue  # the markers of the events counted

    async def count(
        self,
        customer_id: str,
        event_id: str,
        change: Callable[[ProfileRecord], None],
        prepare: Callable[[ProfileRecord], Awaitable[None]],
    ) -> ProfileRecord:
        """Count the event `event_id` (`<customerId>.<eventId>`) in the customer's profile
        once, forever: `change` counts it in the profile, after `prepare` was asked with the
        same profile what the change needs (consent...). The profile after it, or as it
        was when the event was counted before."""
        key = f"profile.{customer_id}"
        step = Step(event_id, f"applied.{event_id}")

        async def not_counted_before_markers(profile: ProfileRecord) -> bool:
            if event_id in profile.applied:
                return False
            await prepare(profile)
            return True

        events = ExactlyOnce(self.kv, self.counted, ProfileRecord)
        while True:
            try:
                profile, _ = await events.apply(key, step, change, not_counted_before_markers)
                return profile
            except RecordNotFound:  # a new customer: an empty profile to count it in
                empty = ProfileRecord(customer_id=customer_id)
                await kvrecords.create(self.kv, key, empty.model_dump_json().encode())

    async def read(self, customer_id: str) -> tuple[ProfileRecord, int]:
        """The profile and its revision; an empty profile and 0 for a new customer."""
        found = await kvjson.read(self.kv, f"profile.{customer_id}", ProfileRecord)
        return found if found is not None else (ProfileRecord(customer_id=customer_id), 0)

    async def change(
        self, customer_id: str, change: Callable[[ProfileRecord], ProfileRecord]
    ) -> ProfileRecord:
        """Apply `change` by compare-and-set; on a conflict, again on the newer profile.
        `change` returns the profile it was given to write nothing."""

        def apply(stored: ProfileRecord | None) -> ProfileRecord | None:
            profile = stored or ProfileRecord(customer_id=customer_id)
            changed = change(profile)
            return None if changed is profile else changed  # None: write nothing

        stored = await kvjson.change(self.kv, f"profile.{customer_id}", ProfileRecord, apply)
        return stored if stored is not None else ProfileRecord(customer_id=customer_id)


@dataclass(frozen=True, slots=True)
class ConsentStore:
    """Consent is read from the bucket on every decision and right before every send, never
    cached: an opt-out must stop what is already on its way."""

    kv: KeyValue

    async def get(self, customer_id: str) -> ConsentRecord | None:
        found = await kvjson.read(self.kv, f"consent.{customer_id}", ConsentRecord)
        return found[0] if found is not None else None

    async def opted_in(self, customer_id: str) -> bool:
        consent = await self.get(customer_id)
        return consent is not None and consent.opted_in

    async def set(self, customer_id: str, opted_in: bool, when: datetime) -> ConsentRecord:
        """Record the choice. The last write wins: a choice is a fact, not a change of one."""
        consent = ConsentRecord(customer_id=customer_id, opted_in=opted_in, updated_at=when)
        await self.kv.put(f"consent.{customer_id}", consent.model_dump_json().encode())
        return consent
