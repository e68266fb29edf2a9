"""What notifications does with each event it receives: one notification per event, once,
routed to every channel of its customer (routing.py); and each webhook delivery, POSTed."""

from acme_events.notifications import Application
from acme_events.notifications.messages.json import (
    OrderPlacedPayload,
    OrderStatusChangedPayload,
    TransferStatusChangedPayload,
)

from accord.events import EventContext
from services.notifications import messages
from services.notifications.routing import Router
from services.notifications.store import NotificationStore
from services.notifications.webhooks import WebhookSender


class UnknownOrder(Exception):
    """A status change of an order whose order-placed has not been handled yet."""


def register(
    app: Application, store: NotificationStore, router: Router, sender: WebhookSender
) -> None:
    @app.consumer.receive_order_placed
    async def confirm_order(order: OrderPlacedPayload, event: EventContext) -> None:
        # Remember whose order it is first: status changes may not say it.
        await store.remember_order(order.order_id, order.customer_id)
        await router.route(messages.order_confirmation(order, event))

    @app.consumer.receive_order_status_changed
    async def order_news(change: OrderStatusChangedPayload, event: EventContext) -> None:
        customer = change.customer_id or await store.customer_of_order(change.order_id)
        if customer is None:
            # Its order-placed is consumed by another durable and may not be handled yet:
            # raising retries after the contract's backoff, by which time it is.
            raise UnknownOrder(f"order {change.order_id}: no order-placed seen yet")
        news = messages.order_status_news(change, customer, event)
        if news is not None:
            await router.route(news)

    @app.consumer.receive_transfer_status_changed
    async def transfer_news(change: TransferStatusChangedPayload, event: EventContext) -> None:
        await router.route(messages.transfer_outcome(change, event))

    app.consumer.receive_webhook_delivery(sender.deliver)
