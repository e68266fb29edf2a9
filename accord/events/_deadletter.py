"""Dead-letter records: a message a consumer gives up on, kept with the reason.

A record is published to the consumer's `deadLetter` subject (a stream must capture it).
Its body is the original body, byte for byte. Its headers are the original headers
(`ce-*`, `traceparent`, ...) plus:

- `accord-dead-letter-reason`: why, e.g. `invalid: payload of OrderPlaced does not match
  the contract at totalCents: ...` or `deliveries exhausted (5 of 5): ValueError(...)`;
- `accord-dead-letter-subject`: the subject the message was published on;
- `accord-dead-letter-stream`, `accord-dead-letter-sequence`: where it was stored;
- `accord-dead-letter-consumer`: the durable consumer that gave up;
- `accord-dead-letter-deliveries`: how many times it was delivered;
- `accord-dead-letter-time`: when the consumer gave up, RFC 3339 UTC.

`Nats-Msg-Id` is `<consumer>:<stream>:<sequence>`, so a record published twice (a retry
after a lost PubAck) is stored once, while two consumers each keep their own record.
"""

from nats.aio.msg import Msg

from accord.events._cloudevents import NATS_MSG_ID, now_rfc3339

PREFIX = "accord-dead-letter-"
REASON = PREFIX + "reason"
SUBJECT = PREFIX + "subject"
STREAM = PREFIX + "stream"
SEQUENCE = PREFIX + "sequence"
CONSUMER = PREFIX + "consumer"
DELIVERIES = PREFIX + "deliveries"
TIME = PREFIX + "time"

_MAX_REASON = 2000


def dead_letter_headers(msg: Msg, consumer: str, reason: str) -> dict[str, str]:
    meta = msg.metadata
    headers = {k: v for k, v in (msg.headers or {}).items() if k != NATS_MSG_ID}
    headers.update(
        {
            REASON: _one_line(reason),
            SUBJECT: msg.subject,
            STREAM: meta.stream,
            SEQUENCE: str(meta.sequence.stream),
            CONSUMER: consumer,
            DELIVERIES: str(meta.num_delivered),
            TIME: now_rfc3339(),
            NATS_MSG_ID: f"{consumer}:{meta.stream}:{meta.sequence.stream}",
        }
    )
    return headers


def _one_line(text: str) -> str:
    """Header values are single lines."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_REASON else flat[: _MAX_REASON - 1] + "…"
