"""Wiring of the payments service: its event consumers, its state, its servicer."""

from acme.payments.v1 import payments_pb2 as pb
from acme.payments.v1 import payments_pb2_grpc as pb_grpc
from acme_events.payments import SOURCE, Application
from nats.aio.client import Client as NatsClient

from accord.access import Access
from accord.events import EventSettings
from accord.provisioning import provision_at_start
from accord.service import Wiring
from services.payments import handlers
from services.payments.servicer import PaymentServiceV1
from services.payments.settings import PaymentsSettings
from services.payments.store import PaymentStore

NAME = "payments"
Settings = PaymentsSettings
SERVICES = (pb.DESCRIPTOR.services_by_name["PaymentService"].full_name,)


async def build(nc: NatsClient, settings: PaymentsSettings) -> Wiring:
    # Provision before opening the store: the contract declares its bucket. The ORDERS
    # stream it consumes is the orders contract's (`make run` and `make streams` create it).
    events = Application(nc, settings=EventSettings(source=SOURCE))
    await provision_at_start(settings, [events.contract])
    store = await PaymentStore.open(nc.jetstream())
    handlers.register(events, handlers.Payments(store, events))
    await events.start()
    servicer = PaymentServiceV1(store, Access.of(SERVICES[0]))
    return Wiring(
        registrars=[lambda server: pb_grpc.add_PaymentServiceServicer_to_server(servicer, server)],
        services=SERVICES,
        on_stop=[events.stop],
    )
