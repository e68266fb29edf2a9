"""Wiring of the orders service: its state, and a servicer per API version."""

from acme.orders.v1 import orders_pb2 as v1
from acme.orders.v1 import orders_pb2_grpc as v1_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from nats.aio.client import Client as NatsClient

from accord.service import Wiring
from services.orders.operations import OrderOperations
from services.orders.settings import OrdersSettings
from services.orders.store import open_store
from services.orders.v1 import OrderServiceV1
from services.orders.v2 import OrderServiceV2

NAME = "orders"
Settings = OrdersSettings
# The gRPC services this process serves, by full name: what the gateway routes here.
SERVICES = (
    v1.DESCRIPTOR.services_by_name["OrderService"].full_name,
    v2.DESCRIPTOR.services_by_name["OrderService"].full_name,
)


async def build(nc: NatsClient) -> Wiring:
    operations = OrderOperations(await open_store(nc.jetstream()))
    servicer_v1, servicer_v2 = OrderServiceV1(operations), OrderServiceV2(operations)
    return Wiring(
        registrars=[
            lambda server: v1_grpc.add_OrderServiceServicer_to_server(servicer_v1, server),
            lambda server: v2_grpc.add_OrderServiceServicer_to_server(servicer_v2, server),
        ],
        services=SERVICES,
    )
