"""CloudEvents 1.0 metadata in the NATS protocol binding, binary content mode.

Attributes travel as `ce-*` headers next to the JSON payload. `ce-id` is also sent as
`Nats-Msg-Id`, so JetStream stores a publish repeated within the duplicate window once.
"""

import contextvars
import uuid
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


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    event_id = event_id or str(uuid.uuid4())
    stamp = (
        time.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if time
        else now_rfc3339()
    )
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


def set_current_event(context: EventContext) -> contextvars.Token[EventContext | None]:
    return _CURRENT.set(context)
