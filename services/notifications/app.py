"""Wiring of the notifications service: its event consumers, its state, its servicer."""

import dataclasses

from acme.notifications.v1 import notifications_pb2 as pb
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc
from acme_events.banking import CONTRACT as BANKING_CONTRACT
from acme_events.notifications import CONTRACT, SOURCE, Application
from acme_events.orders import CONTRACT as ORDERS_CONTRACT
from nats.aio.client import Client as NatsClient

from accord.events import Contract, EventSettings
from accord.provisioning import provision_at_start
from accord.service import Wiring
from services.notifications import handlers
from services.notifications.access import CustomerAccess
from services.notifications.customers import BUCKET as CUSTOMERS_BUCKET
from services.notifications.customers import CustomerSettings
from services.notifications.destinations import Destinations
from services.notifications.email_addresses import EmailAddresses
from services.notifications.inapp import InApp
from services.notifications.routing import Router
from services.notifications.sending import Sending
from services.notifications.servicer import NotificationServiceV1
from services.notifications.settings import NotificationsSettings
from services.notifications.store import NotificationStore
from services.notifications.webhooks import WebhookSender, http_client

NAME = "notifications"
Settings = NotificationsSettings
SERVICES = (pb.DESCRIPTOR.services_by_name["NotificationService"].full_name,)

WEBHOOK_DELIVERY = "receiveWebhookDelivery"


def contract(settings: NotificationsSettings) -> Contract:
    """The generated contract, with the webhook retry policy the settings override (tests use
    short delays; production keeps the contract's)."""
    operation = CONTRACT.operation(WEBHOOK_DELIVERY)
    assert operation.consumer is not None
    consumer = operation.consumer
    if settings.webhook_retry_delays is not None:
        consumer = dataclasses.replace(consumer, backoff=settings.webhook_retry_delays)
    if settings.webhook_max_attempts is not None:
        consumer = dataclasses.replace(consumer, max_deliver=settings.webhook_max_attempts)
    if consumer == operation.consumer:
        return CONTRACT
    operations = {**CONTRACT.operations}
    operations[WEBHOOK_DELIVERY] = dataclasses.replace(operation, consumer=consumer)
    return dataclasses.replace(CONTRACT, operations=operations)


def upstream(own: Contract) -> Contract:
    """The streams this service consumes from but does not own (ORDERS, BANKING), exactly as
    their owners' contracts declare them: provisioning them too lets notifications start
    before the services that publish there (idempotent; `make run` creates them anyway)."""
    theirs = {c.stream for c in own.consumers} - {s.name for s in own.streams}
    streams = tuple(
        s for c in (ORDERS_CONTRACT, BANKING_CONTRACT) for s in c.streams if s.name in theirs
    )
    return Contract(title="streams notifications reads", streams=streams, buckets=(), operations={})


async def build(nc: NatsClient, settings: NotificationsSettings) -> Wiring:
    # Provision before opening the stores: the contract declares their buckets.
    events = Application(nc, settings=EventSettings(source=SOURCE), contract=contract(settings))
    await provision_at_start(settings, [upstream(events.contract), events.contract])
    js = nc.jetstream()
    store = await NotificationStore.open(js)
    customers = await CustomerSettings.open(js)
    inapp = InApp(events)
    client = http_client(settings.webhook_timeout_seconds)
    destinations = Destinations(settings.webhook_allowed_networks)
    sender = WebhookSender(customers, client, destinations, settings.webhook_timeout_seconds)
    addresses = EmailAddresses(await js.key_value(CUSTOMERS_BUCKET), events)
    router = Router(events, store, customers, inapp, addresses)
    handlers.register(events, store, router, sender)
    await events.start()
    access = CustomerAccess.of(SERVICES[0])
    servicer = NotificationServiceV1(
        store, customers, inapp, js, access, Sending(store, router), destinations, addresses
    )
    return Wiring(
        registrars=[
            lambda server: pb_grpc.add_NotificationServiceServicer_to_server(servicer, server)
        ],
        services=SERVICES,
        # Stopped in reverse: consumers first (in-flight deliveries finish), then the client.
        on_stop=[client.aclose, events.stop],
    )
