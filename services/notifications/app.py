"""Wiring of the notifications service: its event consumers, its state, its servicer."""

from acme.notifications.v1 import notifications_pb2 as pb
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc
from acme_events.notifications import SOURCE, Application
from nats.aio.client import Client as NatsClient

from accord.events import EventSettings, provision
from accord.identity import PrincipalVerifier
from accord.service import Wiring
from services.notifications import handlers
from services.notifications.servicer import NotificationServiceV1
from services.notifications.settings import NotificationsSettings
from services.notifications.store import NotificationStore

NAME = "notifications"
Settings = NotificationsSettings
SERVICES = (pb.DESCRIPTOR.services_by_name["NotificationService"].full_name,)


async def build(nc: NatsClient, settings: NotificationsSettings) -> Wiring:
    # Provision before opening the store: the contract declares its bucket. The ORDERS
    # stream it consumes is the orders contract's (`make run` and `make streams` create it).
    events = Application(nc, settings=EventSettings(source=SOURCE))
    if settings.provision:
        await provision(nc.jetstream(), [events.contract])
    store = await NotificationStore.open(nc.jetstream())
    handlers.register(events, store)
    await events.start()
    verifier = PrincipalVerifier(SERVICES[0], key_file=settings.principal_public_key_file)
    servicer = NotificationServiceV1(store, verifier)
    return Wiring(
        registrars=[
            lambda server: pb_grpc.add_NotificationServiceServicer_to_server(servicer, server)
        ],
        services=SERVICES,
        on_stop=[events.stop],
    )
