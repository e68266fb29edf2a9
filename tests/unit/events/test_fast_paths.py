"""The runtime's per-event shortcuts give what the slow ways gave."""

import uuid
from datetime import datetime

from nats.aio.msg import Msg

from accord.events import EventContext
from accord.events._cloudevents import new_event_id, now_rfc3339


def test_event_ids_are_random_version_4_uuids() -> None:
    ids = [new_event_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_now_is_rfc3339_in_utc_to_the_millisecond() -> None:
    stamp = now_rfc3339()
    assert stamp.endswith("Z")
    assert len(stamp) == len("2026-11-27T04:00:00.000Z")
    assert datetime.fromisoformat(stamp).utcoffset() is not None


def _context(reply: str) -> tuple[EventContext, EventContext]:
    headers = {
        "ce-id": "e-1",
        "ce-source": "/s",
        "ce-type": "t",
        "ce-time": "2026-11-27T04:00:00.123Z",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }
    msg = Msg(None, subject="a.b", reply=reply, data=b"{}", headers=headers)  # type: ignore[arg-type]
    fast = EventContext.of_delivery(msg.subject, msg.headers, reply)
    meta = msg.metadata
    slow = EventContext.of(msg.subject, msg.headers, meta.num_delivered, meta.sequence.stream)
    return fast, slow


def test_the_delivery_context_matches_the_full_metadata_parse() -> None:
    for reply in (
        "$JS.ACK.ORDERS.audit.3.42.7.1700000000000000000.0",
        "$JS.ACK.hub.ACCOUNTHASH.ORDERS.audit.3.42.7.1700000000000000000.0.token",
    ):
        fast, slow = _context(reply)
        assert fast == slow
        assert (fast.delivery_count, fast.stream_sequence) == (3, 42)
