"""Wiring of the orders service: its state, its event consumers, a servicer per API version."""

import dataclasses

from acme.orders.v1 import orders_pb2 as v1
from acme.orders.v1 import orders_pb2_grpc as v1_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from acme_events.inventory import CONTRACT as INVENTORY_CONTRACT
from acme_events.orders import SOURCE, Application
from acme_events.payments import CONTRACT as PAYMENTS_CONTRACT
from acme_events.shipping import CONTRACT as SHIPPING_CONTRACT
from nats.aio.client import Client as NatsClient

from accord.access import Access
from accord.events import Contract, EventSettings
from accord.gateway_client import GatewayClient
from accord.provisioning import provision_at_start
from accord.service import Wiring
from services.orders import catalogue, handlers
from services.orders.access import ADMIN_SCOPE
from services.orders.events import OrderEvents
from services.orders.operations import OrderOperations
from services.orders.settings import OrdersSettings
from services.orders.store import open_store
from services.orders.v1 import OrderServiceV1
from services.orders.v2 import OrderServiceV2

NAME = "orders"
# What it calls other services with, through the gateway (its API key holds just these).
GATEWAY_SCOPES = catalogue.SCOPES
Settings = OrdersSettings
# The gRPC services this process serves, by full name: what the gateway routes here.
SERVICES = (
    v1.DESCRIPTOR.services_by_name["OrderService"].full_name,
    v2.DESCRIPTOR.services_by_name["OrderService"].full_name,
)


def _access(settings: OrdersSettings, service: str) -> Access:
    return Access(ADMIN_SCOPE)


def _streams_only(contract: Contract) -> Contract:
    return dataclasses.replace(contract, buckets=(), operations={})


async def build(nc: NatsClient, settings: OrdersSettings) -> Wiring:
    events = Application(nc, settings=EventSettings(source=SOURCE))
    # Development: the ORDERS stream and the orders bucket, and the streams of the
    # services whose events orders follows (its durables live on them), so that orders
    # starts alone too. Only their streams: their buckets and durables are theirs.
    upstream = (PAYMENTS_CONTRACT, INVENTORY_CONTRACT, SHIPPING_CONTRACT)
    await provision_at_start(settings, [events.contract, *(_streams_only(c) for c in upstream)])
    store = await open_store(nc.jetstream())
    order_events = OrderEvents(events)
    handlers.register(events, handlers.OrderFollower(store, order_events))
    await events.start()
    gateway = GatewayClient.open(settings, NAME)
    prices = catalogue.InventoryCatalogue(gateway.channel, settings.catalogue_timeout_seconds)
    operations = OrderOperations(store, order_events, prices)
    v1_name, v2_name = SERVICES
    servicer_v1 = OrderServiceV1(operations, _access(settings, v1_name))
    servicer_v2 = OrderServiceV2(operations, _access(settings, v2_name))
    return Wiring(
        registrars=[
            lambda server: v1_grpc.add_OrderServiceServicer_to_server(servicer_v1, server),
            lambda server: v2_grpc.add_OrderServiceServicer_to_server(servicer_v2, server),
        ],
        services=SERVICES,
        # Stopped in reverse: consumers first, then the channel to the catalogue.
        on_stop=[gateway.close, events.stop],
    )
