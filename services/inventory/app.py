"""The inventory service as the platform runs it (accord.skeleton): its seeded catalogue."""

import logging

from acme.inventory.v1 import inventory_pb2 as pb
from acme.inventory.v1 import inventory_pb2_grpc as pb_grpc
from acme_events.inventory import Application

from accord.skeleton import Api, Parts, Service
from services.inventory import handlers
from services.inventory.reservations import Reservations
from services.inventory.servicer import InventoryServiceV1
from services.inventory.settings import InventorySettings
from services.inventory.stock import Catalogue, UnitPrice

API = Api.named("InventoryService", pb, pb_grpc)

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


async def assemble(parts: Parts[InventorySettings, Application]) -> list[object]:
    # The PAYMENTS and ORDERS streams it consumes are theirs (`make run` creates them).
    kv = await parts.js.key_value(BUCKET)
    catalogue = Catalogue(kv)
    for sku, (units, price) in SEED.items():
        if await catalogue.seed(sku, units):
            log.info("catalogue: added %s with %d units", sku, units)
        await catalogue.set_price(sku, price, only_if_unpriced=True)
    handlers.register(parts.events, handlers.Inventory(catalogue, Reservations(kv), parts.events))
    return [InventoryServiceV1(catalogue, parts.access())]


SERVICE = Service("inventory", InventorySettings, (API,), Application, assemble)
