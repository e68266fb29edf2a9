"""Wiring of the inventory service: its catalogue, its event consumers, its servicer."""

import logging

from acme.inventory.v1 import inventory_pb2 as pb
from acme.inventory.v1 import inventory_pb2_grpc as pb_grpc
from acme_events.inventory import SOURCE, Application
from nats.aio.client import Client as NatsClient

from accord.access import Access
from accord.events import EventSettings
from accord.provisioning import provision_at_start
from accord.service import Wiring
from services.inventory import handlers
from services.inventory.reservations import Reservations
from services.inventory.servicer import InventoryServiceV1
from services.inventory.settings import InventorySettings
from services.inventory.stock import Catalogue, UnitPrice

NAME = "inventory"
Settings = InventorySettings
SERVICES = (pb.DESCRIPTOR.services_by_name["InventoryService"].full_name,)
BUCKET = "inventory"

# The reference catalogue, added at start when missing (a restart keeps what was sold and
# the prices staff set): units and the price of one unit, in US dollars.
# POSTER-LTD is a limited edition of one: the unit two customers race for.
SEED = {
    "TEA-1": (1000, UnitPrice("USD", 4_500_000_000)),
    "MUG-2": (200, UnitPrice("USD", 12_000_000_000)),
    "POSTER-LTD": (1, UnitPrice("USD", 49_000_000_000)),
}

log = logging.getLogger("services.inventory")


async def build(nc: NatsClient, settings: InventorySettings) -> Wiring:
    # Provision before opening the bucket: the contract declares it. The PAYMENTS and ORDERS
    # streams it consumes are the payments and orders contracts' (`make run` creates them).
    events = Application(nc, settings=EventSettings(source=SOURCE))
    await provision_at_start(settings, [events.contract])
    kv = await nc.jetstream().key_value(BUCKET)
    catalogue = Catalogue(kv)
    for sku, (units, price) in SEED.items():
        if await catalogue.seed(sku, units):
            log.info("catalogue: added %s with %d units", sku, units)
        await catalogue.set_price(sku, price, only_if_unpriced=True)
    handlers.register(events, handlers.Inventory(catalogue, Reservations(kv), events))
    await events.start()
    servicer = InventoryServiceV1(catalogue, Access.of(SERVICES[0]))
    return Wiring(
        registrars=[
            lambda server: pb_grpc.add_InventoryServiceServicer_to_server(servicer, server)
        ],
        services=SERVICES,
        on_stop=[events.stop],
    )
