"""Routing: each notification is made once, then handed to every channel of its customer.

- in-app, always: appended to the customer's subject in the NOTIFICATIONS stream;
- email, when the customer gave an address and proved it (email_addresses.py): rendered into
  the outbox;
- webhooks: one delivery message per registered endpoint, into the delivery work queue.

A notification names the channels it is meant for (`channels`; empty means all three, as for
every notification made from an event); each channel it is meant for and that reaches the
customer gets it, and `route` answers which did.

Handing over is idempotent, for a handler may run again for the same event (a crash, a
redelivery, a publisher's retry): every publish carries an id made from the notification
id (`Nats-Msg-Id`), so a repeat inside the streams' duplicate window (an hour, longer than
all the retries of a consumer) is stored once; and once every channel has it, the
`routed` marker makes any later repeat of the event a no-op.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from acme.notifications.v1 import notifications_pb2 as pb
from acme_events.notifications import Application
from acme_events.notifications.messages.json import EmailPayload, WebhookDeliveryPayload

from services.notifications.customers import CustomerSettings
from services.notifications.email_addresses import EmailAddresses
from services.notifications.inapp import InApp
from services.notifications.payloads import to_json_model
from services.notifications.signing import delivery_id
from services.notifications.store import NotificationStore

log = logging.getLogger("notifications.routing")

ALL_CHANNELS = frozenset({pb.CHANNEL_IN_APP, pb.CHANNEL_EMAIL, pb.CHANNEL_WEBHOOK})


@dataclass(frozen=True, slots=True)
class Router:
    events: Application
    store: NotificationStore
    customers: CustomerSettings
    inapp: InApp
    addresses: EmailAddresses

    async def route(self, notification: pb.Notification) -> Sequence[pb.Channel.ValueType]:
        """Hand the notification to its channels once; the channels that took it."""
        # A routed notification was stored first: a repeat needs neither write.
        routed = await self.store.routed_channels(notification.notification_id)
        if routed is not None:
            return routed
        await self.store.add(notification)  # already there after a half-done first attempt
        wanted = set(notification.channels) or ALL_CHANNELS
        delivered: list[pb.Channel.ValueType] = []
        if pb.CHANNEL_IN_APP in wanted:
            await self.inapp.publish(notification)
            delivered.append(pb.CHANNEL_IN_APP)
        if pb.CHANNEL_EMAIL in wanted and await self._email(notification):
            delivered.append(pb.CHANNEL_EMAIL)
        if pb.CHANNEL_WEBHOOK in wanted and await self._webhooks(notification):
            delivered.append(pb.CHANNEL_WEBHOOK)
        await self.store.mark_routed(notification.notification_id, delivered)
        return delivered

    async def _email(self, notification: pb.Notification) -> bool:
        address = await self.addresses.verified_email(notification.customer_id)
        if address is None:
            return False  # none, or not proven yet: nothing goes to an unproven address
        email = EmailPayload(
            notification_id=notification.notification_id,
            customer_id=notification.customer_id,
            to=address,
            subject=notification.title,
            body=f"{notification.body}\n\n-- Acme. You get this email because you asked us to "
            "write to this address; change it in your notification preferences.",
        )
        await self.events.producer.send_email(
            email, event_id=f"{notification.notification_id}.email"
        )
        return True

    async def _webhooks(self, notification: pb.Notification) -> bool:
        model = to_json_model(notification)
        webhooks = await self.customers.webhooks(notification.customer_id)
        for stored in webhooks:
            delivery = delivery_id(notification.notification_id, stored.webhook.webhook_id)
            payload = WebhookDeliveryPayload(
                delivery_id=delivery,
                webhook_id=stored.webhook.webhook_id,
                customer_id=notification.customer_id,
                notification=model,
            )
            await self.events.producer.send_webhook_delivery(payload, event_id=delivery)
            log.debug("queued webhook delivery %s", delivery)
        return bool(webhooks)
