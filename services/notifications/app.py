"""The notifications service as the platform runs it (accord.skeleton): its stores, its
routing of events to customers, in-app, email and webhook delivery."""

from acme.notifications.v1 import notifications_pb2 as pb
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc
from acme_events.banking import CONTRACT as BANKING_CONTRACT
from acme_events.notifications import CONTRACT, Application
from acme_events.orders import CONTRACT as ORDERS_CONTRACT

from accord.events import Contract
from accord.retry_policy import with_retry_policy
from accord.skeleton import Api, Parts, Service
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
from services.notifications.store import BUCKET as NOTIFICATIONS_BUCKET
from services.notifications.store import NotificationStore
from services.notifications.webhooks import WebhookSender, http_client

API = Api.named("NotificationService", pb, pb_grpc)

WEBHOOK_DELIVERY = "receiveWebhookDelivery"


def contract(settings: NotificationsSettings) -> Contract:
    """The generated contract, with the webhook retry policy the settings override (tests use
    short delays; production keeps the contract's)."""
    return with_retry_policy(
        CONTRACT, [WEBHOOK_DELIVERY], settings.webhook_retry_delays, settings.webhook_max_attempts
    )


def upstream(own: Contract) -> Contract:
    """The streams this service consumes from but does not own (ORDERS, BANKING), exactly as
    their owners' contracts declare them: provisioning them too lets notifications start
    before the services that publish there (idempotent; `make run` creates them anyway)."""
    theirs = {c.stream for c in own.consumers} - {s.name for s in own.streams}
    streams = tuple(
        s for c in (ORDERS_CONTRACT, BANKING_CONTRACT) for s in c.streams if s.name in theirs
    )
    return Contract(title="streams notifications reads", streams=streams, buckets=(), operations={})


async def assemble(parts: Parts[NotificationsSettings, Application]) -> list[object]:
    settings, js, events = parts.settings, parts.js, parts.events
    store = NotificationStore(await js.key_value(NOTIFICATIONS_BUCKET))
    customers = CustomerSettings(await js.key_value(CUSTOMERS_BUCKET))
    inapp = InApp(events)
    client = http_client(settings.webhook_timeout_seconds)
    parts.on_stop(client.aclose)  # after the consumers: in-flight deliveries finish
    destinations = Destinations(settings.webhook_allowed_networks)
    sender = WebhookSender(customers, client, destinations, settings.webhook_timeout_seconds)
    addresses = EmailAddresses(await js.key_value(CUSTOMERS_BUCKET), events)
    router = Router(events, store, customers, inapp, addresses)
    handlers.register(events, store, router, sender)
    access = CustomerAccess(parts.access().admin_scope)
    servicer = NotificationServiceV1(
        store=store,
        customers=customers,
        inapp=inapp,
        js=js,
        access=access,
        sending=Sending(store, router),
        destinations=destinations,
        addresses=addresses,
    )
    return [servicer]


SERVICE = Service(
    "notifications",
    NotificationsSettings,
    (API,),
    Application,
    assemble,
    contract=contract,
    provision_also=lambda own: [upstream(own)],
)
