"""The marketing buckets: profiles (compare-and-set) and consent (read fresh, every time)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from accord import kvjson
from services.marketing.records import ConsentRecord, ProfileRecord

PROFILES_BUCKET = "marketing_profiles"
CONSENT_BUCKET = "marketing_consent"


@dataclass(frozen=True, slots=True)
class Profiles:
    kv: KeyValue

    async def read(self, customer_id: str) -> tuple[ProfileRecord, int]:
        """The profile and its revision; an empty profile and 0 for a new customer."""
        found = await kvjson.read(self.kv, f"profile.{customer_id}", ProfileRecord)
        return found if found is not None else (ProfileRecord(customer_id=customer_id), 0)

    async def write(self, profile: ProfileRecord, revision: int) -> bool:
        """Write `profile` if it is still at `revision`; False if someone changed it first."""
        key = f"profile.{profile.customer_id}"
        value = profile.model_dump_json().encode()
        try:
            if revision == 0:
                await self.kv.create(key, value)
            else:
                await self.kv.update(key, value, last=revision)
        except KeyWrongLastSequenceError:
            return False
        return True

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
