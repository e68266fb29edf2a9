"""CloudEvents headers and dead-letter records, without a server."""

from datetime import UTC, datetime

from nats.aio.msg import Msg

from accord.events import EventContext, dead_letter_headers
from accord.events._cloudevents import event_headers, set_current_event


def test_headers_of_an_event() -> None:
    headers = event_headers(
        event_type="acme.orders.v1.order.placed",
        source="/acme/orders",
        content_type="application/json",
        event_id="e-1",
        time=datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
    )
    assert headers == {
        "ce-id": "e-1",
        "ce-source": "/acme/orders",
        "ce-type": "acme.orders.v1.order.placed",
        "ce-time": "2026-01-02T03:04:05.600Z",
        "ce-specversion": "1.0",
        "content-type": "application/json",
    }


def test_an_event_published_while_handling_one_carries_its_trace_on() -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    set_current_event(EventContext.of("s", {"ce-id": "x", "traceparent": parent}))
    headers = event_headers(event_type="t", source="/s", content_type="application/json")
    assert headers["traceparent"] == parent
    assert len(headers["ce-id"]) == 36  # a fresh UUID


def test_a_dead_letter_record_keeps_the_headers_and_says_why() -> None:
    msg = Msg(
        None,  # type: ignore[arg-type]
        subject="acme.orders.v1.order.placed",
        reply="$JS.ACK.ORDERS.audit.3.42.7.1700000000000000000.0",
        data=b"{}",
        headers={"ce-id": "e-9", "Nats-Msg-Id": "e-9"},
    )
    headers = dead_letter_headers(msg, "audit", "invalid:\n  line one\n  line two")
    time = headers.pop("accord-dead-letter-time")
    assert time.endswith("Z")
    assert headers == {
        "ce-id": "e-9",
        "accord-dead-letter-reason": "invalid: line one line two",
        "accord-dead-letter-subject": "acme.orders.v1.order.placed",
        "accord-dead-letter-stream": "ORDERS",
        "accord-dead-letter-sequence": "42",
        "accord-dead-letter-consumer": "audit",
        "accord-dead-letter-deliveries": "3",
        "Nats-Msg-Id": "audit:ORDERS:42",
    }
