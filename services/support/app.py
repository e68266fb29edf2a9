"""The support service as the platform runs it (accord.skeleton): its tickets."""

from acme.support.v1 import support_pb2 as pb
from acme.support.v1 import support_pb2_grpc as pb_grpc
from acme_events.support import Application

from accord.skeleton import Api, Parts, Service
from services.support.events import TicketEvents
from services.support.servicer import SupportServiceV1
from services.support.settings import SupportSettings
from services.support.tickets import BUCKET, Tickets

API = Api.named("SupportService", pb, pb_grpc)


async def assemble(parts: Parts[SupportSettings, Application]) -> list[object]:
    tickets = Tickets(await parts.js.key_value(BUCKET), TicketEvents(parts.events))
    return [SupportServiceV1(tickets, parts.access())]


SERVICE = Service("support", SupportSettings, (API,), Application, assemble)
