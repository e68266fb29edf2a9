"""The marketing buckets: profiles (compare-and-set) and consent (read fresh, every time)."""

from collections.abc import Callable
from datetime import datetime

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from services.marketing.records import ConsentRecord, ProfileRecord

PROFILES_BUCKET = "marketing_profiles"
CONSENT_BUCKET = "marketing_consent"


class Profiles:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    async def read(self, customer_id: str) -> tuple[ProfileRecord, int]:
        """The profile and its revision; an empty profile and 0 for a new customer."""
        try:
            entry = await self._kv.get(f"profile.{customer_id}")
        except KeyNotFoundError:
            return ProfileRecord(customer_id=customer_id), 0
        if not entry.value:
            return ProfileRecord(customer_id=customer_id), 0
        return ProfileRecord.model_validate_json(entry.value), entry.revision or 0

    async def write(self, profile: ProfileRecord, revision: int) -> bool:
        """Write `profile` if it is still at `revision`; False if someone changed it first."""
        key = f"profile.{profile.customer_id}"
        value = profile.model_dump_json().encode()
        try:
            if revision == 0:
                await self._kv.create(key, value)
            else:
                await self._kv.update(key, value, last=revision)
        except KeyWrongLastSequenceError:
            return False
        return True

    async def change(
        self, customer_id: str, change: Callable[[ProfileRecord], ProfileRecord]
    ) -> ProfileRecord:
        """Apply `change` by compare-and-set; on a conflict, again on the newer profile.
        `change` returns the profile it was given to write nothing."""
        while True:
            profile, revision = await self.read(customer_id)
            changed = change(profile)
            if changed is profile or await self.write(changed, revision):
                return changed


class ConsentStore:
    """Consent is read from the bucket on every decision and right before every send, never
    cached: an opt-out must stop what is already on its way."""

    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    async def get(self, customer_id: str) -> ConsentRecord | None:
        try:
            entry = await self._kv.get(f"consent.{customer_id}")
        except KeyNotFoundError:
            return None
        return ConsentRecord.model_validate_json(entry.value) if entry.value else None

    async def opted_in(self, customer_id: str) -> bool:
        consent = await self.get(customer_id)
        return consent is not None and consent.opted_in

    async def set(self, customer_id: str, opted_in: bool, when: datetime) -> ConsentRecord:
        """Record the choice. The last write wins: a choice is a fact, not a change of one."""
        consent = ConsentRecord(customer_id=customer_id, opted_in=opted_in, updated_at=when)
        await self._kv.put(f"consent.{customer_id}", consent.model_dump_json().encode())
        return consent
