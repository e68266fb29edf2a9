"""Suggestions, in the `devices_suggestions` bucket, and what owners make of them.

Keys: `suggestion.<suggestionId>` (SuggestionRecord JSON) and two indexes (empty values),
`owner.<ownerId>.<suggestionId>` for ListSuggestions and `device.<deviceId>.<suggestionId>`
for the one-suggestion-per-habit check. Indexes are written before the record, so an
interrupted write leaves at most an index entry without a record, which readers skip and
the retry of the same event completes.

A habit is suggested once, ever. Its id is derived from the device and the habit's setpoint
and time buckets, so a repeat of the habit finds its suggestion by id. Because a habit seen
again a few days later may round into a neighbouring bucket (07:07 and 07:08 round to 07:00
and 07:15), a new habit of a device is also matched against the device's existing
suggestions with the habit rule's tolerances: a similar one, pending, accepted or declined,
is the same habit. Declined suggestions are kept for good, which is what keeps them from
coming back.
"""

from dataclasses import dataclass

from nats.js.kv import KeyValue

from accord import kvjson
from accord.kv import keys_matching
from services.devices.habits import Habit, similar, suggestion_id
from services.devices.owners import OwnerIndex, index_key
from services.devices.records import DeviceRecord, State, SuggestionRecord, now

BUCKET = "devices_suggestions"


class SuggestionNotFound(Exception):
    pass


class AlreadyDecided(Exception):
    """The suggestion was decided the other way (accepting a declined one, or declining an
    accepted one)."""

    def __init__(self, suggestion: SuggestionRecord) -> None:
        super().__init__(f"suggestion {suggestion.suggestion_id} is {suggestion.state.value}")
        self.suggestion = suggestion


@dataclass(frozen=True)
class Proposal:
    """The suggestion standing for a habit, and whether the owner still has to be told."""

    suggestion: SuggestionRecord
    notify: bool


def _key(suggestion_id: str) -> str:
    return f"suggestion.{suggestion_id}"


@dataclass(frozen=True, slots=True)
class Suggestions:
    kv: KeyValue

    async def find(self, suggestion_id: str) -> SuggestionRecord | None:
        found = await kvjson.read(self.kv, _key(suggestion_id), SuggestionRecord)
        return found[0] if found is not None else None

    async def propose(self, device: DeviceRecord, habit: Habit) -> Proposal:
        """The suggestion for `habit`: an existing one of the same habit, or a new one.

        The owner is to be told (`notify`) only about a pending suggestion not told yet: a
        new one, or one whose notification failed before (the event is being retried).
        Nothing is told about a habit already accepted or declined.
        """
        same = await self._same_habit(device.device_id, habit)
        if same is None:
            fresh = SuggestionRecord(
                suggestion_id=suggestion_id(device.device_id, habit),
                device_id=device.device_id,
                owner_id=device.owner_id,
                setpoint_tenths=habit.setpoint_tenths,
                minute=habit.minute,
                days=list(habit.days),
                created_at=now(),
            )
            await self.kv.put(index_key(fresh.owner_id, fresh.suggestion_id), b"")
            await self.kv.put(f"device.{fresh.device_id}.{fresh.suggestion_id}", b"")
            same = await kvjson.change(
                self.kv, _key(fresh.suggestion_id), SuggestionRecord, lambda c: c or fresh
            )
            assert same is not None
        return Proposal(same, notify=same.state is State.PENDING and not same.notified)

    async def _same_habit(self, device_id: str, habit: Habit) -> SuggestionRecord | None:
        exact = await self.find(suggestion_id(device_id, habit))
        if exact is not None:
            return exact
        for key in sorted(await keys_matching(self.kv, f"device.{device_id}.*")):
            other = await self.find(key.rsplit(".", 1)[1])
            if other is not None and similar(
                other.setpoint_tenths, other.minute, habit.setpoint_tenths, habit.minute
            ):
                return other
        return None

    async def notified(self, suggestion_id: str) -> None:
        def mark(current: SuggestionRecord | None) -> SuggestionRecord | None:
            return current.model_copy(update={"notified": True}) if current else None

        await kvjson.change(self.kv, _key(suggestion_id), SuggestionRecord, mark)

    async def decide(self, suggestion_id: str, state: State) -> SuggestionRecord:
        """Accept or decline a pending suggestion; the same decision again changes nothing."""

        def apply(current: SuggestionRecord | None) -> SuggestionRecord:
            if current is None:
                raise SuggestionNotFound(suggestion_id)
            if current.state is state:
                return current
            if current.state is not State.PENDING:
                raise AlreadyDecided(current)
            return current.model_copy(update={"state": state, "decided_at": now()})

        stored = await kvjson.change(self.kv, _key(suggestion_id), SuggestionRecord, apply)
        assert stored is not None
        return stored

    async def of_owner(
        self, owner_id: str, page_size: int, after: int
    ) -> tuple[list[SuggestionRecord], int | None]:
        """One page of the owner's suggestions in the order they were made."""
        return await OwnerIndex(self.kv, self.find).page(owner_id, page_size, after)
