"""The in-app channel: one subject per customer in the NOTIFICATIONS stream.

A notification is appended to `acme.notifications.v1.inapp.<customer_id>`; its stream
sequence is its cursor. Subscribe replays the customer's subject from just after the
cursor it is given, then keeps following it live, reading the stream by sequence with
direct gets (accord.follow: no consumer, a core subscription only wakes it). So a client
that comes back with the cursor of the last notification it saw gets everything after it,
once.
"""

from collections.abc import AsyncIterator
from datetime import UTC

from acme.notifications.v1 import notifications_pb2 as pb
from acme_events.notifications import Application
from acme_events.notifications.messages import json
from nats.js import JetStreamContext

from accord.events import PayloadCodec
from accord.follow import follow
from services.notifications.payloads import from_json_model, to_json_model

SUBJECT_PREFIX = "acme.notifications.v1.inapp."
OPERATION = "sendInAppNotification"
STREAM = "NOTIFICATIONS"


def subject_of(customer_id: str) -> str:
    return SUBJECT_PREFIX + customer_id


class InApp:
    def __init__(self, events: Application) -> None:
        self._events = events
        self._message = events.contract.operation(OPERATION).message
        self._codec = PayloadCodec(json.Notification, self._message)

    async def publish(self, notification: pb.Notification) -> int:
        """Append the notification to its customer's subject (the channel's `customerId`
        parameter, from the payload); the cursor it got. The notification id is the event
        id: a retried publish inside the stream's duplicate window is stored once."""
        published = await self._events.producer.send_in_app_notification(
            to_json_model(notification),
            event_id=notification.notification_id,
            time=notification.create_time.ToDatetime(tzinfo=UTC),
        )
        return published.sequence

    async def follow(
        self, js: JetStreamContext, customer_id: str, cursor: int
    ) -> AsyncIterator[tuple[int, pb.Notification]]:
        """(cursor, notification) after `cursor`, then live, until the caller stops; read
        from the stream directly, with no consumer (accord.follow). The stream is named, not
        looked up by subject: the service may read its own streams, not list the server's."""
        async for msg in follow(js, STREAM, subject_of(customer_id), cursor):
            yield msg.sequence, from_json_model(self._codec.decode(msg.data))
