"""The payments service as the platform runs it (accord.skeleton): its state and handlers."""

from acme.payments.v1 import payments_pb2 as pb
from acme.payments.v1 import payments_pb2_grpc as pb_grpc
from acme_events.payments import Application

from accord.skeleton import Api, Parts, Service
from services.payments import handlers
from services.payments.servicer import PaymentServiceV1
from services.payments.settings import PaymentsSettings
from services.payments.store import open_store

API = Api.named("PaymentService", pb, pb_grpc)


async def assemble(parts: Parts[PaymentsSettings, Application]) -> list[object]:
    # The ORDERS stream it consumes is the orders contract's (`make run`, `make streams`).
    store = await open_store(parts.js)
    handlers.register(parts.events, handlers.Payments(store, parts.events))
    return [PaymentServiceV1(store, parts.access())]


SERVICE = Service("payments", PaymentsSettings, (API,), Application, assemble)
