"""Apply a step to a key-value record once, forever: a durable marker per step.

A step is a change to one record (credit an account, reserve funds) that must happen exactly
once however often it is asked for: a client's retry, a redelivered event, a replay a year
later. JetStream key-value gives compare-and-set on one key and no transaction across keys,
and a process may die between any two writes. A bounded "recently applied" list inside the
record is not enough: a replay that comes after the list has moved on applies the step
again. So every step leaves a marker under a key of its own that is never deleted, and the
record names the steps still between their change and their marker:

1. read the record (revision r); a step in its `pending` map was applied: go to 3;
2. if the step's marker exists, it was applied and recorded: done. Otherwise make the change
   and add the step to `pending`, in one compare-and-set on r (lost: back to 1);
3. create the marker (one that exists is left as it is);
4. take the step out of `pending`, by compare-and-set (lost: read again; gone: done).

The invariant: a step was applied exactly when it is pending in the record or its marker
exists. Step 2's compare-and-set on the revision read in step 1 makes "not applied yet"
and the change one atomic act: any other writer that applied the step in between changed
the record's revision, so this one reads again. A crash after 2 or 3 leaves the step
pending; whoever runs the step next (the same call retried, another process) finishes 3 and
4. `pending` holds only steps in flight or interrupted, never history, so it stays small.

The marker may carry data (banking's ledger entries are the markers of its debit and credit
steps): what a marker says is visible from step 2 on, in the record's `pending` map, and
for good from step 3.
"""

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue
from pydantic import BaseModel

# Writers that race on one record are few (the postings of one account); a step that loses
# this many times in a row is a bug, not contention.
MAX_ATTEMPTS = 1000


class Pending(BaseModel):
    """A step applied to the record whose marker may not be written yet."""

    marker: str  # the marker's key
    value: str = ""  # what the marker holds


class StepRecord(BaseModel):
    """A record that steps are applied to: it names the steps in flight."""

    pending: dict[str, Pending] = {}


R = TypeVar("R", bound=StepRecord)


@dataclass(frozen=True)
class Step:
    """One change to one record, applied once. `step_id` is unique within the record."""

    step_id: str
    marker: str  # the key of its marker in the markers bucket; never deleted
    value: str = ""  # what the marker holds (a ledger entry, ...)


class RecordNotFound(Exception):
    pass


class ExactlyOnce(Generic[R]):
    """Steps on the records of one bucket, with their markers in another (or the same)."""

    def __init__(self, records: KeyValue, markers: KeyValue, model: type[R]) -> None:
        self._records = records
        self._markers = markers
        self._model = model

    async def read(self, key: str) -> tuple[R, int]:
        try:
            entry = await self._records.get(key)
        except KeyNotFoundError as missing:
            raise RecordNotFound(key) from missing
        if not entry.value:
            raise RecordNotFound(key)
        return self._model.model_validate_json(entry.value), entry.revision or 0

    async def applied(self, record: R, step: Step) -> bool:
        """Whether `step` was applied to `record` (as read): pending in it, or marked."""
        return step.step_id in record.pending or await self._marked(step)

    async def apply(
        self,
        key: str,
        step: Step,
        change: Callable[[R], None],
        guard: Callable[[R], Awaitable[bool]] | None = None,
    ) -> tuple[R, bool]:
        """Apply `step` to the record at `key` unless it was applied before; the record after
        it, and whether this call applied it. `change` mutates the record (and may raise:
        nothing is written then). `guard`, when given, is asked with the record as read
        before a change: False leaves the record as it is, and the step unapplied."""
        for _ in range(MAX_ATTEMPTS):
            record, revision = await self.read(key)
            if step.step_id in record.pending:
                await self._finish(key, step)
                return record, False
            if await self._marked(step):
                return record, False
            if guard is not None and not await guard(record):
                return record, False
            change(record)
            record.pending = {
                **record.pending,
                step.step_id: Pending(marker=step.marker, value=step.value),
            }
            try:
                written = await self._records.update(
                    key, record.model_dump_json().encode(), revision
                )
            except KeyWrongLastSequenceError:
                continue  # another writer changed the record: decide again on the new state
            await self._finish(key, step, (record, written))
            return record, True
        raise RuntimeError(f"{key}: lost {MAX_ATTEMPTS} compare-and-set races in a row")

    async def _marked(self, step: Step) -> bool:
        try:
            await self._markers.get(step.marker)
        except KeyNotFoundError:
            return False
        return True

    async def _finish(self, key: str, step: Step, written: tuple[R, int] | None = None) -> None:
        """Steps 3 and 4: the marker, then the step out of `pending`. `written` is the record
        as this caller just wrote it, with its revision: the first try needs no read then."""
        # A marker that exists was written by an earlier attempt: markers never change.
        with contextlib.suppress(KeyWrongLastSequenceError):
            await self._markers.create(step.marker, step.value.encode())
        for _ in range(MAX_ATTEMPTS):
            record, revision = written or await self.read(key)
            written = None  # a lost race: read what the other writer left
            if step.step_id not in record.pending:
                return
            pending = {k: v for k, v in record.pending.items() if k != step.step_id}
            finished = record.model_copy(update={"pending": pending})
            try:
                await self._records.update(key, finished.model_dump_json().encode(), revision)
            except KeyWrongLastSequenceError:
                continue
            return
        raise RuntimeError(f"{key}: lost {MAX_ATTEMPTS} compare-and-set races in a row")


__all__ = ["ExactlyOnce", "Pending", "RecordNotFound", "Step", "StepRecord"]
