"""Routing: each notification is made once, then handed to every channel of its customer.

- in-app, always: appended to the customer's subject in the NOTIFICATIONS stream;
- email, when the customer's preferences hold an address: rendered into the outbox;
- webhooks: one delivery message per registered endpoint, into the delivery work queue.

Handing over is idempotent, for a handler may run again for the same event (a crash, a
redelivery, a publisher's retry): every publish carries an id made from the notification
id (`Nats-Msg-Id`), so a repeat inside the streams' duplicate window (an hour, longer than
all the retries of a consumer) is stored once; and once every channel has it, the
`routed` marker makes any later repeat of the event a no-op.
"""

import logging

from acme.notifications.v1 import notifications_pb2 as pb
from acme_events.notifications import Application
from acme_events.notifications.messages.json import EmailPayload, WebhookDeliveryPayload

from services.notifications.customers import CustomerSettings
from services.notifications.inapp import InApp
from services.notifications.payloads import to_json_model
from services.notifications.signing import delivery_id
from services.notifications.store import NotificationStore

log = logging.getLogger("notifications.routing")


class Router:
    def __init__(
        self,
        events: Application,
        store: NotificationStore,
        customers: CustomerSettings,
        inapp: InApp,
    ) -> None:
        self._events = events
        self._store = store
        self._customers = customers
        self._inapp = inapp

    async def route(self, notification: pb.Notification) -> None:
        await self._store.add(notification)  # already there on a repeat: that is fine
        if await self._store.was_routed(notification.notification_id):
            return
        await self._inapp.publish(notification)
        await self._email(notification)
        await self._webhooks(notification)
        await self._store.mark_routed(notification.notification_id)

    async def _email(self, notification: pb.Notification) -> None:
        preferences = await self._customers.preferences(notification.customer_id)
        if not preferences.email:
            return
        email = EmailPayload(
            notification_id=notification.notification_id,
            customer_id=notification.customer_id,
            to=preferences.email,
            subject=notification.title,
            body=f"{notification.body}\n\n-- Acme. You get this email because you asked us to "
            "write to this address; change it in your notification preferences.",
        )
        await self._events.producer.send_email(
            email, event_id=f"{notification.notification_id}.email"
        )

    async def _webhooks(self, notification: pb.Notification) -> None:
        model = to_json_model(notification)
        for stored in await self._customers.webhooks(notification.customer_id):
            delivery = delivery_id(notification.notification_id, stored.webhook.webhook_id)
            payload = WebhookDeliveryPayload(
                delivery_id=delivery,
                webhook_id=stored.webhook.webhook_id,
                customer_id=notification.customer_id,
                notification=model,
            )
            await self._events.producer.send_webhook_delivery(payload, event_id=delivery)
            log.debug("queued webhook delivery %s", delivery)
