"""CloudEvents 1.0 metadata in the NATS protocol binding, binary content mode.

Attributes travel as `ce-*` headers next to the JSON payload. `ce-id` is also sent as
`Nats-Msg-Id`, so JetStream stores a publish repeated within the duplicate window once.
"""

import contextvars
import os
import time as _time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

ID = "ce-id"
SOURCE = "ce-source"
TYPE = "ce-type"
TIME = "ce-time"
SPECVERSION = "ce-specversion"
CONTENT_TYPE = "content-type"
TRACEPARENT = "traceparent"
NATS_MSG_ID = "Nats-Msg-Id"


_last_stamp: tuple[int, str] = (-1, "")


def now_rfc3339() -> str:
    """Now, to the millisecond. Formatting a datetime costs several µs; the text is kept
    for the rest of its millisecond, which a busy publisher shares with many events."""
    global _last_stamp
    millis = _time.time_ns() // 1_000_000
    last, text = _last_stamp
    if millis != last:
        text = rfc3339(datetime.fromtimestamp(millis / 1000, UTC))
        _last_stamp = (millis, text)
    return text


def rfc3339(time: datetime) -> str:
    return time.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Random UUIDs (version 4) from a pool of random bytes: uuid.uuid4() asks the OS for 16
# bytes every time, and builds a UUID object only to format it: 2-9 µs of every publish.
_HEX_POOL: list[str] = []
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def new_event_id() -> str:
    """A fresh random UUID (version 4, RFC 4122 variant), as text."""
    try:
        h = _HEX_POOL.pop()
    except IndexError:
        raw = os.urandom(16 * 256).hex()
        _HEX_POOL.extend(raw[i : i + 32] for i in range(0, len(raw), 32))
        h = _HEX_POOL.pop()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


# A forked child must not hand out the ids its parent already has in its pool.
os.register_at_fork(after_in_child=_HEX_POOL.clear)


def event_headers(
    *,
    event_type: str,
    source: str,
    content_type: str,
    event_id: str | None = None,
    time: datetime | None = None,
    traceparent: str | None = None,
) -> dict[str, str]:
    """The headers of one event; a missing id becomes a fresh UUID, a missing time now.
    Without an explicit `traceparent`, the one of the event being handled is carried on."""
    event_id = event_id or new_event_id()
    stamp = rfc3339(time) if time else now_rfc3339()
    headers = {
        ID: event_id,
        SOURCE: source,
        TYPE: event_type,
        TIME: stamp,
        SPECVERSION: "1.0",
        CONTENT_TYPE: content_type,
    }
    current = current_event()
    traceparent = traceparent or (current.traceparent if current else None)
    if traceparent:
        headers[TRACEPARENT] = traceparent
    return headers


@dataclass(frozen=True)
class EventContext:
    """What a handler knows of the message it handles, besides the typed payload."""

    id: str
    source: str
    type: str
    time: datetime | None
    subject: str
    delivery_count: int
    headers: Mapping[str, str] = field(repr=False)
    traceparent: str | None = None
    stream_sequence: int | None = None

    @classmethod
    def of(
        cls,
        subject: str,
        headers: Mapping[str, str] | None,
        delivery_count: int = 1,
        stream_sequence: int | None = None,
    ) -> "EventContext":
        headers = dict(headers or {})
        return cls(
            id=headers.get(ID, ""),
            source=headers.get(SOURCE, ""),
            type=headers.get(TYPE, ""),
            time=_parse_time(headers.get(TIME)),
            subject=subject,
            delivery_count=delivery_count,
            headers=headers,
            traceparent=headers.get(TRACEPARENT),
            stream_sequence=stream_sequence,
        )

    @classmethod
    def of_delivery(
        cls, subject: str, headers: Mapping[str, str] | None, reply: str
    ) -> "EventContext":
        """The context of a JetStream delivery, read from its headers and its ack subject
        (`$JS.ACK.[<domain>.<account>.]<stream>.<consumer>.<delivered>.<sequence>...`)
        without nats-py's full metadata parse; the consumer's per-message path."""
        headers = headers or {}
        tokens = reply.split(".")
        if len(tokens) == 9:  # the original form, without domain and account
            delivered, sequence = tokens[4], tokens[5]
        else:
            delivered, sequence = tokens[6], tokens[7]
        context = object.__new__(cls)
        # The fields of a frozen dataclass, set at once: its __init__ sets each one through
        # object.__setattr__, which costs more than the rest of this method.
        context.__dict__.update(
            id=headers.get(ID, ""),
            source=headers.get(SOURCE, ""),
            type=headers.get(TYPE, ""),
            time=_parse_time(headers.get(TIME)),
            subject=subject,
            delivery_count=int(delivered),
            headers=headers,
            traceparent=headers.get(TRACEPARENT),
            stream_sequence=int(sequence),
        )
        return context


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


_CURRENT: contextvars.ContextVar[EventContext | None] = contextvars.ContextVar(
    "accord_current_event", default=None
)


def current_event() -> EventContext | None:
    """The event whose handler is running in this task, if any."""
    return _CURRENT.get()


def set_current_event(context: EventContext | None) -> contextvars.Token[EventContext | None]:
    return _CURRENT.set(context)


def reset_current_event(token: contextvars.Token[EventContext | None]) -> None:
    _CURRENT.reset(token)
