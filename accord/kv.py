"""Reads of JetStream key-value buckets that nats-py leaves out, none of which makes a consumer.

nats-py lists keys (`keys()`, `watch()`) through an ordered consumer that the server keeps
for five minutes after the call: a client calling a list method in a loop exhausted the
server's consumers for everyone. These read with batched direct gets (`accord.direct`), which
leave nothing on the server, and read only as much as they return:

- `page_after`: one page of the live keys of a pattern, in the order they were last written,
  resuming after a stream sequence: what list methods serve, with the sequence as their page
  token. An index key written once (`customer.<id>.<order_id>`) keeps its place for ever, so
  its pages are stable;
- `select_page`: the same through a filter, for pages of records an index points to;
- `keys_matching`: every live key of a pattern, as the bucket stood when the read began.
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue

from accord.direct import MAX_BATCH, StoredMsg, last_after, next_after

_KV_OPERATION = "KV-Operation"
_REMOVED = ("DEL", "PURGE")
# Deletion markers and older revisions take room in a batch and are left out of a page: a
# page is topped up by at most this many more batches, then returned short, with the
# sequence to resume after.
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
    newest revision, written after stream sequence `after`, oldest write first.

    Two reads a batch: the messages of the pattern after `after`, in stream order, then the
    newest revision of just those keys, to leave out a revision that a later write replaced
    (it shows where that write is) and keys deleted since."""
    js, stream, prefix = kv._js, kv._stream, kv._pre  # nats-py keeps these private
    entries: list[Entry] = []
    cursor = after
    for _ in range(_MAX_ROUNDS):
        batch = await next_after(js, stream, prefix + pattern, cursor, size - len(entries))
        newest = await _newest(kv, {msg.subject for msg in batch.messages})
        for msg in batch.messages:
            cursor = msg.sequence
            if newest.get(msg.subject) == msg.sequence and _live(msg):
                entries.append(Entry(msg.subject[len(prefix) :], msg.data, msg.sequence))
        if not batch.pending:
            return KeyPage(entries, None)
        if len(entries) >= size:
            break
    return KeyPage(entries, cursor)


async def _newest(kv: KeyValue, subjects: Iterable[str]) -> dict[str, int]:
    """The stream sequence of the newest message of each subject."""
    wanted = sorted(subjects)
    if not wanted:
        return {}
    batch = await last_after(kv._js, kv._stream, wanted, 0, len(wanted))
    return {msg.subject: msg.sequence for msg in batch.messages}


def _live(msg: StoredMsg) -> bool:
    return msg.headers.get(_KV_OPERATION) not in _REMOVED


async def keys_matching(kv: KeyValue, pattern: str) -> list[str]:
    """The live keys matching a subject pattern such as `customer.alice.*`, as the bucket
    stood when the read began (keys written meanwhile may or may not be in it)."""
    return [entry.key for entry in await entries_matching(kv, pattern)]


async def entries_matching(kv: KeyValue, pattern: str) -> list[Entry]:
    """The live entries (key and newest value) matching a pattern.

    The stream's info names every key of the pattern that holds a value or a deletion marker,
    in one snapshot; the messages of the pattern are then read in stream order up to the end
    of that snapshot, the newest of each key winning. A key the read did not reach (rewritten
    meanwhile, its old revision gone from a bucket that keeps one) is read on its own."""
    js, stream, prefix = kv._js, kv._stream, kv._pre
    info = await js.stream_info(stream, subjects_filter=prefix + pattern)
    subjects = set(info.state.subjects or {})
    last_seq = info.state.last_seq
    newest: dict[str, StoredMsg] = {}
    cursor, done = 0, not subjects
    while not done:
        batch = await next_after(js, stream, prefix + pattern, cursor, MAX_BATCH)
        for msg in batch.messages:
            if msg.sequence > last_seq:  # written after the snapshot
                break
            newest[msg.subject] = msg
            cursor = msg.sequence
        done = not batch.pending or not batch.messages or cursor >= last_seq
        done = done or batch.messages[-1].sequence > last_seq
    for subject in subjects - newest.keys():
        try:
            last = await js.get_last_msg(stream, subject, direct=True)
        except NotFoundError:  # purged since the snapshot
            continue
        headers = dict(last.headers or {})
        newest[subject] = StoredMsg(subject, last.seq or 0, headers, last.data or b"")
    return [
        Entry(subject[len(prefix) :], msg.data, msg.sequence)
        for subject, msg in sorted(newest.items(), key=lambda item: item[1].sequence)
        if _live(msg)
    ]


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
