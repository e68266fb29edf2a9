"""The in-app channel: one subject per customer in the NOTIFICATIONS stream.

A notification is appended to `acme.notifications.v1.inapp.<customer_id>`; its stream
sequence is its cursor. Subscribe replays the customer's subject from just after the
cursor it is given, then keeps following it live, with an ordered consumer: JetStream
delivers in sequence order, and the consumer restarts itself from the last sequence it
handed over if a message goes missing. So a client that comes back with the cursor of the
last notification it saw gets everything after it, once.
"""

from collections.abc import AsyncIterator
from datetime import UTC

from acme.notifications.v1 import notifications_pb2 as pb
from acme_events.notifications import Application
from acme_events.notifications.messages import json
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from accord.events import PayloadCodec
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
        """(cursor, notification) after `cursor`, then live, until the caller stops."""
        if cursor > 0:
            config = ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=cursor + 1
            )
        else:
            config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
        # The stream is named, not looked up by subject: the service may read its own
        # streams, not list the server's.
        subscription = await js.subscribe(
            subject_of(customer_id), stream=STREAM, ordered_consumer=True, config=config
        )
        try:
            async for msg in subscription.messages:
                model = self._codec.decode(msg.data)
                yield msg.metadata.sequence.stream, from_json_model(model)
        finally:
            await subscription.unsubscribe()
