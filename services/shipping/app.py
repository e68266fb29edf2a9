"""The shipping service as the platform runs it (accord.skeleton): its state and handlers."""

from acme.shipping.v1 import shipping_pb2 as pb
from acme.shipping.v1 import shipping_pb2_grpc as pb_grpc
from acme_events.shipping import Application

from accord.skeleton import Api, Parts, Service
from services.shipping import handlers
from services.shipping.servicer import ShippingServiceV1
from services.shipping.settings import ShippingSettings
from services.shipping.store import open_store

API = Api.named("ShippingService", pb, pb_grpc)


async def assemble(parts: Parts[ShippingSettings, Application]) -> list[object]:
    # The INVENTORY and ORDERS streams it consumes are theirs (`make run`, `make streams`).
    store = await open_store(parts.js)
    handlers.register(parts.events, handlers.Shipping(store, parts.events))
    return [ShippingServiceV1(store, parts.access())]


SERVICE = Service("shipping", ShippingSettings, (API,), Application, assemble)
