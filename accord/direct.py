"""Batched direct gets: read stored messages of a stream without creating a consumer.

A JetStream consumer is server state that outlives the call that made it (nats-py's watches
keep theirs for five minutes), and a server holds a bounded number of them: reads made on
behalf of clients must not create any. Direct gets (ADR-31, nats-server 2.11 and newer,
streams and buckets with `allow_direct`) are answered by the stream itself, from any replica,
and leave nothing behind. nats-py 2.16 sends only single direct gets, so the batched form is
written here: one request, then up to `batch` messages and an end-of-batch status on a
reply subject of our own.

Two kinds of batch:
- `next_after`: the messages matching a subject filter (wildcards allowed) stored after a
  sequence, in stream order (every revision of a key);
- `last_after`: for each subject named (or matching a filter), its newest message, when
  that comes after a sequence, in stream order (each key once, as it stands).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError
from nats.js import JetStreamContext

# The most messages one request asks for: a page is smaller, a scan takes several batches.
MAX_BATCH = 256
_STATUS = "Status"
_END_OF_BATCH = "204"
_NOT_FOUND = "404"
_NO_RESPONDERS = "503"
_LAST_SEQUENCE = 2**64 - 1  # sequences are uint64: nothing is stored after this one


class DirectGetError(Exception):
    """The stream refused a direct get (a bad request, or a server without batch gets)."""


@dataclass(frozen=True)
class StoredMsg:
    subject: str
    sequence: int
    headers: dict[str, str]
    data: bytes


@dataclass(frozen=True)
class Batch:
    messages: list[StoredMsg]
    # Matching messages after the last one returned: 0 when the read reached the end.
    pending: int
    # The stream sequence a `last_after` read saw up to: pass it on to read the same snapshot.
    up_to: int = 0

    @property
    def last_sequence(self) -> int | None:
        return self.messages[-1].sequence if self.messages else None


async def next_after(
    js: JetStreamContext,
    stream: str,
    subject: str,
    after: int,
    batch: int,
    *,
    timeout: float = 5.0,
) -> Batch:
    """Up to `batch` messages on `subject` stored after sequence `after`, oldest first."""
    if after >= _LAST_SEQUENCE:
        return Batch([], 0)
    request = {"seq": after + 1, "next_by_subj": subject, "batch": _bounded(batch)}
    return await _batch(js, stream, request, timeout)


async def last_after(
    js: JetStreamContext,
    stream: str,
    subject: str | Sequence[str],
    after: int,
    batch: int,
    *,
    up_to: int = 0,
    timeout: float = 5.0,
) -> Batch:
    """The newest message of each subject matching `subject` (a filter, or a list of them)
    whose newest message comes after sequence `after`, up to `batch` of them, in stream
    order; as the stream stood at sequence `up_to` when given, else as it stands. The server
    refuses a filter that matches more than about a thousand subjects (413): name the
    subjects of a page, not a whole index."""
    if after >= _LAST_SEQUENCE:
        return Batch([], 0)
    subjects = [subject] if isinstance(subject, str) else list(subject)
    request: dict[str, Any] = {"multi_last": subjects, "batch": _bounded(batch)}
    if after:
        request["seq"] = after + 1
    if up_to:
        request["up_to_seq"] = up_to
    return await _batch(js, stream, request, timeout)


def _bounded(batch: int) -> int:
    return max(1, min(batch, MAX_BATCH))


async def _batch(
    js: JetStreamContext, stream: str, request: dict[str, Any], timeout: float
) -> Batch:
    nc: NatsClient = js._nc  # nats-py keeps the context's connection and API prefix private
    inbox = nc.new_inbox()
    subscription = await nc.subscribe(inbox)
    messages: list[StoredMsg] = []
    try:
        await nc.publish(
            f"{js._prefix}.DIRECT.GET.{stream}", json.dumps(request).encode(), reply=inbox
        )
        while True:
            msg = await subscription.next_msg(timeout=timeout)
            headers = dict(msg.headers or {})
            status = headers.get(_STATUS)
            if status == _END_OF_BATCH:
                pending = int(headers.get("Nats-Num-Pending", "0"))
                return Batch(messages, pending, int(headers.get("Nats-UpTo-Sequence", "0")))
            if status == _NOT_FOUND:
                return Batch(messages, 0)
            if status == _NO_RESPONDERS:
                raise NoRespondersError
            if status:
                description = headers.get("Description", "")
                raise DirectGetError(f"direct get on {stream} refused: {status} {description}")
            messages.append(
                StoredMsg(
                    subject=headers.get("Nats-Subject", ""),
                    sequence=int(headers.get("Nats-Sequence", "0")),
                    headers=headers,
                    data=msg.data,
                )
            )
    finally:
        await subscription.unsubscribe()
