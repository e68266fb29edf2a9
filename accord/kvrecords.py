"""One record a key in a key-value bucket: read it with its revision, create it (the first
writer wins), replace it by compare-and-set on the revision that was read.

nats-py answers "absent" and "lost the race" with exceptions; every store asks the same two
questions, so they are answered here once, as values:

- `read`: the value and its revision, or None when the key holds nothing;
- `create`: the new revision, or None when the key holds a value already;
- `replace`: False when someone changed the key since `revision` was read;
- `ProtoRecords`: protobuf messages kept under `<prefix>.<id>`, with the three above and
  `get_or_create`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

# Writers that race on one key are few; a write that loses this many times in a row is a
# bug, not contention (kvjson gives up at the same count).
MAX_ATTEMPTS = 50

V = TypeVar("V")
M = TypeVar("M", bound=Message)


@dataclass(frozen=True)
class Versioned(Generic[V]):
    value: V
    revision: int  # what a compare-and-set of this value names as the last revision


async def read(kv: KeyValue, key: str) -> Versioned[bytes] | None:
    """The value under `key` (possibly empty) and its revision; None when it holds nothing."""
    try:
        entry = await kv.get(key)
    except KeyNotFoundError:  # also a deleted or purged key
        return None
    return Versioned(entry.value or b"", entry.revision or 0)


async def create(kv: KeyValue, key: str, value: bytes) -> int | None:
    """Write the first value of `key`; its revision, or None when the key has one already."""
    try:
        return await kv.create(key, value)
    except KeyWrongLastSequenceError:
        return None


async def replace(kv: KeyValue, key: str, value: bytes, revision: int) -> bool:
    """Write `value` if `key` is still at `revision`; False when it changed meanwhile."""
    try:
        await kv.update(key, value, last=revision)
    except KeyWrongLastSequenceError:
        return False
    return True


class ProtoRecords(Generic[M]):
    """Protobuf messages of one type in a bucket, one under `<prefix>.<id>`, where `id_of`
    names a message's id: created once, then changed only by compare-and-set."""

    def __init__(
        self, kv: KeyValue, prefix: str, message: type[M], id_of: Callable[[M], str]
    ) -> None:
        self._kv = kv
        self.prefix = prefix
        self._message = message
        self._id_of = id_of

    async def get(self, record_id: str) -> Versioned[M] | None:
        found = await read(self._kv, f"{self.prefix}.{record_id}")
        if found is None or not found.value:
            return None
        return Versioned(self._message.FromString(found.value), found.revision)

    async def get_or_create(self, record_id: str, make: Callable[[], M]) -> M:
        """The record stored under `record_id`, or else the one `make` builds, stored now;
        when a concurrent writer stores one first, that one."""
        for _ in range(MAX_ATTEMPTS):  # a key that holds an empty value would never settle
            stored = await self.get(record_id)
            if stored is not None:
                return stored.value
            record = make()
            if await self.create(record):
                return record
        raise RuntimeError(f"{self.prefix}.{record_id}: neither readable nor creatable")

    async def create(self, record: M) -> bool:
        """Store the first record of its id; False when that id has one already."""
        key = f"{self.prefix}.{self._id_of(record)}"
        return await create(self._kv, key, record.SerializeToString()) is not None

    async def replace(self, record: M, revision: int) -> bool:
        """Store a change read at `revision`; False when someone changed it meanwhile."""
        key = f"{self.prefix}.{self._id_of(record)}"
        return await replace(self._kv, key, record.SerializeToString(), revision)
