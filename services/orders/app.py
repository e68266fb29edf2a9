"""The orders service as the platform runs it (accord.skeleton): its store, the events it
follows, and a servicer per API version over the same operations."""

import dataclasses

from acme.orders.v1 import orders_pb2 as v1
from acme.orders.v1 import orders_pb2_grpc as v1_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from acme_events.inventory import CONTRACT as INVENTORY_CONTRACT
from acme_events.orders import Application
from acme_events.payments import CONTRACT as PAYMENTS_CONTRACT
from acme_events.shipping import CONTRACT as SHIPPING_CONTRACT

from accord.events import Contract
from accord.skeleton import Api, Parts, Service
from services.orders import catalogue, handlers
from services.orders.events import OrderEvents
from services.orders.operations import OrderOperations
from services.orders.settings import OrdersSettings
from services.orders.store import open_store
from services.orders.v1 import OrderServiceV1
from services.orders.v2 import OrderServiceV2

V1 = Api.named("OrderService", v1, v1_grpc)
V2 = Api.named("OrderService", v2, v2_grpc)


def upstream(own: Contract) -> list[Contract]:
    """The streams of the services whose events orders follows (its durables live on them),
    so that orders starts alone too in development. Only their streams: their buckets and
    durables are theirs."""
    theirs = (PAYMENTS_CONTRACT, INVENTORY_CONTRACT, SHIPPING_CONTRACT)
    return [dataclasses.replace(c, buckets=(), operations={}) for c in theirs]


async def assemble(parts: Parts[OrdersSettings, Application]) -> list[object]:
    store = await open_store(parts.js)
    order_events = OrderEvents(parts.events)
    handlers.register(parts.events, handlers.OrderFollower(store, order_events))
    timeout = parts.settings.catalogue_timeout_seconds
    prices = catalogue.InventoryCatalogue(parts.gateway().channel, timeout)
    operations = OrderOperations(store, order_events, prices, parts.access(V2))
    return [
        OrderServiceV1(operations, parts.access(V1)),
        OrderServiceV2(operations, parts.access(V2)),
    ]


SERVICE = Service(
    "orders",
    OrdersSettings,
    (V1, V2),
    Application,
    assemble,
    gateway_scopes=catalogue.SCOPES,
    provision_also=upstream,
)
