"""Wiring of the shipping service: its event consumers, its state, its servicer."""

from acme.shipping.v1 import shipping_pb2 as pb
from acme.shipping.v1 import shipping_pb2_grpc as pb_grpc
from acme_events.shipping import SOURCE, Application
from nats.aio.client import Client as NatsClient

from accord.access import Access
from accord.events import EventSettings
from accord.provisioning import provision_at_start
from accord.service import Wiring
from services.shipping import handlers
from services.shipping.servicer import ShippingServiceV1
from services.shipping.settings import ShippingSettings
from services.shipping.store import ShipmentStore

NAME = "shipping"
Settings = ShippingSettings
SERVICES = (pb.DESCRIPTOR.services_by_name["ShippingService"].full_name,)


async def build(nc: NatsClient, settings: ShippingSettings) -> Wiring:
    # Provision before opening the store: the contract declares its bucket. The INVENTORY
    # and ORDERS streams it consumes are theirs (`make run` and `make streams` create them).
    events = Application(nc, settings=EventSettings(source=SOURCE))
    await provision_at_start(settings, [events.contract])
    store = await ShipmentStore.open(nc.jetstream())
    handlers.register(events, handlers.Shipping(store, events))
    await events.start()
    servicer = ShippingServiceV1(store, Access.of(SERVICES[0]))
    return Wiring(
        registrars=[lambda server: pb_grpc.add_ShippingServiceServicer_to_server(servicer, server)],
        services=SERVICES,
        on_stop=[events.stop],
    )
