"""The in-app channel: one subject per customer in the NOTIFICATIONS stream.

A notification is appended to `acme.notifications.v1.inapp.<customer_id>`; its stream
sequence is its cursor. Subscribe replays the customer's subject from just after the
cursor it is given, then keeps following it live, with an ordered consumer: JetStream
delivers in sequence order, and the consumer restarts itself from the last sequence it
handed over if a message goes missing. So a client that comes back with the cursor of the
last notification it saw gets everything after it, once.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from acme.notifications.v1 import notifications_pb2 as pb
from acme_events.notifications import Application
from acme_events.notifications.messages import json
from nats.js import JetStreamContext

from accord.events import PayloadCodec
from accord.follow import follow
from services.notifications.payloads import from_json_model, to_json_model

SUBJECT_PREFIX = "acme.notifications.v1.inapp."
OPERATION = "sendInAppNotification"


def subject_of(customer_id: str) -> str:
    return SUBJECT_PREFIX + customer_id


class InApp:
    def __init__(self, events: Application) -> None:
        self._events = events
        self._message = events.contract.operation(OPERATION).message
        self._codec = PayloadCodec(json.Notification, self._message)
        self._stream: str | None = None  # the stream of the in-app subjects, found once

    async def publish(self, notification: pb.Notification) -> int:
        """Append the notification to its customer's subject; the cursor it got.

        The generated producer publishes on the channel's one address and cannot fill in the
        customer, so this publishes on the wire itself, with the same codec (checked against
        the contract's schema) and the same CloudEvents headers. The notification id is the
        `Nats-Msg-Id`: a retried publish inside the stream's duplicate window is stored once.
        """
        body = self._codec.encode(to_json_model(notification))
        headers = {
            "ce-id": notification.notification_id,
            "ce-source": self._events.settings.source,
            "ce-type": self._message.event_type,
            "ce-time": _rfc3339(notification.create_time.ToDatetime(tzinfo=UTC)),
            "ce-specversion": "1.0",
            "content-type": self._message.content_type,
        }
        settings = self._events.settings
        published = await self._events.wire.publish(
            subject_of(notification.customer_id),
            body,
            headers,
            settings.publish_timeout,
            settings.publish_attempts,
        )
        return published.sequence

    async def follow(
        self, js: JetStreamContext, customer_id: str, cursor: int
    ) -> AsyncIterator[tuple[int, pb.Notification]]:
        """(cursor, notification) after `cursor`, then live, until the caller stops; read
        from the stream directly, with no consumer (accord.follow)."""
        subject = subject_of(customer_id)
        if self._stream is None:
            self._stream = await js.find_stream_name_by_subject(subject)
        async for msg in follow(js, self._stream, subject, cursor):
            yield msg.sequence, from_json_model(self._codec.decode(msg.data))


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
