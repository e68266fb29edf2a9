"""Wiring of the orders service: its state, its servicers."""

from acme.orders.v1 import orders_pb2, orders_pb2_grpc
from nats.aio.client import Client as NatsClient

from accord.service import Wiring
from services.orders.servicer import OrderServiceV1
from services.orders.settings import OrdersSettings
from services.orders.store import open_store

NAME = "orders"
Settings = OrdersSettings
# The gRPC services this process serves, by full name: what the gateway routes here.
SERVICES = (orders_pb2.DESCRIPTOR.services_by_name["OrderService"].full_name,)


async def build(nc: NatsClient) -> Wiring:
    store = await open_store(nc.jetstream())
    v1 = OrderServiceV1(store)
    return Wiring(
        registrars=[lambda server: orders_pb2_grpc.add_OrderServiceServicer_to_server(v1, server)],
        services=SERVICES,
    )
