"""Reads of JetStream key-value buckets that nats-py leaves out, none of which makes a consumer.

nats-py lists keys (`keys()`, `watch()`) through an ordered consumer that the server keeps
for five minutes after the call: a client calling a list method in a loop exhausted the
server's consumers for everyone. These read with batched direct gets (`accord.direct`), which
leave nothing on the server, and read only as much as they return:

- `page_after`: one page of the live keys of a pattern, in the order they were last written,
  resuming after a stream sequence: what list methods serve, with the sequence as their page
  token. An index key written once (`customer.<id>.<order_id>`) keeps its place for ever, so
  its pages are stable.
- `select_page`: the same through a filter, for pages of records an index points to;
- `keys_matching`: every live key of a pattern, as the bucket stood when the read began.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from nats.js.kv import KeyValue

from accord.direct import MAX_BATCH, last_after

_KV_OPERATION = "KV-Operation"
_REMOVED = ("DEL", "PURGE")
# Deletion markers take room in a batch and are left out of a page: a page is topped up by at
# most this many more batches, then returned short, with the sequence to resume after.
_MAX_ROUNDS = 4


@dataclass(frozen=True)
class Entry:
    key: str
    value: bytes
    sequence: int  # where in the bucket's stream this revision was written


@dataclass(frozen=True)
class KeyPage:
    entries: list[Entry]
    # The stream sequence the next page starts after; None when nothing follows.
    resume_after: int | None


async def page_after(kv: KeyValue, pattern: str, after: int, size: int) -> KeyPage:
    """Up to `size` live keys matching `pattern` (such as `customer.alice.*`), each at its
    newest revision, written after stream sequence `after`, oldest write first."""
    js, stream, prefix = kv._js, kv._stream, kv._pre  # nats-py keeps these private
    entries: list[Entry] = []
    cursor = after
    for _ in range(_MAX_ROUNDS):
        batch = await last_after(js, stream, prefix + pattern, cursor, size - len(entries))
        for msg in batch.messages:
            cursor = msg.sequence
            if msg.headers.get(_KV_OPERATION) not in _REMOVED:
                entries.append(Entry(msg.subject[len(prefix) :], msg.data, msg.sequence))
        if not batch.pending:
            return KeyPage(entries, None)
        if len(entries) >= size:
            break
    return KeyPage(entries, cursor)


async def keys_matching(kv: KeyValue, pattern: str) -> list[str]:
    """The live keys matching a subject pattern such as `customer.alice.*`, as the bucket
    stood when the read began (keys written meanwhile may or may not be in it)."""
    return [entry.key for entry in await entries_matching(kv, pattern)]


async def entries_matching(kv: KeyValue, pattern: str) -> list[Entry]:
    """The live entries (key and newest value) matching a pattern, in one snapshot."""
    js, stream, prefix = kv._js, kv._stream, kv._pre
    entries: list[Entry] = []
    cursor, up_to = 0, 0
    while True:
        batch = await last_after(js, stream, prefix + pattern, cursor, MAX_BATCH, up_to=up_to)
        up_to = up_to or batch.up_to
        for msg in batch.messages:
            cursor = msg.sequence
            if msg.headers.get(_KV_OPERATION) not in _REMOVED:
                entries.append(Entry(msg.subject[len(prefix) :], msg.data, msg.sequence))
        if not batch.pending or not batch.messages:
            return entries


T = TypeVar("T")
# The most index entries one filtered page looks at: a page of a selective filter may come
# back short (with a token to go on), never after reading a whole index.
MAX_SCANNED = 1_000


async def select_page(
    kv: KeyValue,
    pattern: str,
    after: int,
    size: int,
    pick: Callable[[Entry], Awaitable[T | None]],
) -> tuple[list[T], int | None]:
    """A page of what `pick` makes of the index entries of `pattern` after sequence
    `after` (None: left out), and where the next page starts (None: the end). Reads on until
    the page is full or MAX_SCANNED entries were looked at."""
    found: list[T] = []
    cursor, scanned = after, 0
    while True:
        page = await page_after(kv, pattern, cursor, size - len(found))
        for entry in page.entries:
            item = await pick(entry)
            if item is not None:
                found.append(item)
        scanned += len(page.entries)
        if page.resume_after is None:
            return found, None
        cursor = page.resume_after
        if len(found) >= size or scanned >= MAX_SCANNED:
            return found, cursor
