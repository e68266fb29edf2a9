"""Wiring of the support service: its bucket, its event publisher, its servicer."""

from acme.support.v1 import support_pb2 as pb
from acme.support.v1 import support_pb2_grpc as pb_grpc
from acme_events.support import SOURCE, Application
from nats.aio.client import Client as NatsClient

from accord.access import Access
from accord.events import EventSettings
from accord.provisioning import provision_at_start
from accord.service import Wiring
from services.support.events import TicketEvents
from services.support.servicer import SupportServiceV1
from services.support.settings import SupportSettings
from services.support.tickets import BUCKET, Tickets

NAME = "support"
Settings = SupportSettings
# The gRPC services this process serves, by full name: what the gateway routes here.
SERVICES = (pb.DESCRIPTOR.services_by_name["SupportService"].full_name,)


async def build(nc: NatsClient, settings: SupportSettings) -> Wiring:
    events = Application(nc, settings=EventSettings(source=SOURCE))
    js = nc.jetstream()
    # Provision before opening the bucket: the contract declares it and the SUPPORT stream.
    await provision_at_start(settings, [events.contract])
    await events.start()
    tickets = Tickets(await js.key_value(BUCKET), TicketEvents(events))
    servicer = SupportServiceV1(tickets, Access.of(SERVICES[0]))
    return Wiring(
        registrars=[lambda server: pb_grpc.add_SupportServiceServicer_to_server(servicer, server)],
        services=SERVICES,
        on_stop=[events.stop],
    )
