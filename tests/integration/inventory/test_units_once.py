"""An order's units are taken once and given back once, however late its events come again.

The inventory handlers run over a real nats-server, on this test's own bucket and streams.
Between an order's first delivery and its replay, more than a thousand other orders change
the same product: more than a bounded memory of recent changes (the catalogue kept 1,000)
could hold.
"""

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from acme_events.inventory import CONTRACT, Application
from acme_events.inventory.messages.json import (
    OrderStatus,
    OrderStatusChangedPayload,
    PaidLine,
    PaymentAuthorizedPayload,
)
from acme_events.orders import CONTRACT as ORDERS
from acme_events.payments import CONTRACT as PAYMENTS
from nats.aio.client import Client as NatsClient

from accord.events import EventSettings
from services.inventory.handlers import Inventory
from services.inventory.reservations import Reservation, Reservations, Status
from services.inventory.stock import Catalogue, Move, UnitPrice
from tests.integration.events._support import renamed

pytestmark = pytest.mark.integration

OTHER_ORDERS = 1001  # one more than the catalogue's old memory of applied changes
SKU = "TEA-1"


@pytest.fixture
async def inventory(nats_client: NatsClient, unique: str) -> AsyncIterator[Inventory]:
    """The inventory handlers over this test's own bucket, announcing on its own streams."""
    # Its durables read the streams of payments and orders: this topology holds them too.
    upstream = tuple(s for doc in (PAYMENTS, ORDERS) for s in renamed(doc, unique).streams)
    contract = renamed(CONTRACT, unique)
    contract = dataclasses.replace(contract, streams=contract.streams + upstream)
    settings = EventSettings(source="/acme/inventory", provision=True, require_handlers=False)
    app = Application(nats_client, settings=settings, contract=contract)
    async with app:
        kv = await nats_client.jetstream().key_value(f"inventory_{unique}")
        yield Inventory(Catalogue(kv), Reservations(kv), app)


def authorized(order_id: str, units: int) -> PaymentAuthorizedPayload:
    return PaymentAuthorizedPayload(
        payment_id=f"pay-{order_id}",
        order_id=order_id,
        customer_id="c-1",
        amount_cents=450 * units,
        currency="EUR",
        lines=[PaidLine(sku=SKU, quantity=units)],
    )


def cancelled(order_id: str) -> OrderStatusChangedPayload:
    return OrderStatusChangedPayload(
        order_id=order_id,
        previous_status=OrderStatus.RESERVED,
        status=OrderStatus.CANCELLED,
        changed_at=datetime.now(UTC),
        customer_id="c-1",
    )


async def test_late_redeliveries_move_each_order_s_units_once(inventory: Inventory) -> None:
    catalogue, reservations = inventory.catalogue, inventory.reservations
    await catalogue.set(SKU, OTHER_ORDERS + 100)

    # Kept: reserved, later cancelled. Crashed: its units were taken, then the process died
    # before the reservation said RESERVED (the store as such a crash leaves it).
    await inventory.on_payment_authorized(authorized("kept", 30))
    await inventory.on_payment_authorized(authorized("crashed", 20))
    crashed, revision = await reservations.get("crashed") or pytest.fail("not reserved")
    assert crashed.status == Status.RESERVED
    interrupted = Reservation("crashed", "c-1", Status.RESERVING, crashed.lines)
    assert await reservations.replace(interrupted, revision)

    for n in range(OTHER_ORDERS):
        await inventory.on_payment_authorized(authorized(f"other-{n}", 1))
    left = 100 - 30 - 20
    assert await catalogue.available(SKU) == left

    # Both authorizations again, as a redelivery or a replay of the stream would bring them.
    await inventory.on_payment_authorized(authorized("kept", 30))
    assert await catalogue.available(SKU) == left, "a reserved order's units taken twice"
    await inventory.on_payment_authorized(authorized("crashed", 20))
    assert await catalogue.available(SKU) == left, "an interrupted order's units taken twice"
    finished = await reservations.get("crashed") or pytest.fail("reservation lost")
    assert finished[0].status == Status.RESERVED

    # The kept order is cancelled: its units go back, once, however often that is said.
    await inventory.on_status_changed(cancelled("kept"))
    assert await catalogue.available(SKU) == left + 30, "a cancelled order's units not given back"
    await inventory.on_status_changed(cancelled("kept"))
    assert await catalogue.available(SKU) == left + 30, "a cancelled order's units given back twice"


async def test_a_product_written_before_the_markers_keeps_counting_its_changes(
    nats_client: NatsClient, unique: str
) -> None:
    """Its `applied` list still says which orders' units it took; it is read, not grown."""
    kv = await nats_client.jetstream().create_key_value(bucket=f"inventory_{unique}")
    old = {
        "available": 7,
        "applied": ["o-1:reserve"],
        "price": {"currency": "EUR", "nanos": 4_500_000_000},
    }
    await kv.put(f"sku.{SKU}", json.dumps(old).encode())
    catalogue = Catalogue(kv)

    assert await catalogue.prices([SKU]) == {SKU: UnitPrice("EUR", 4_500_000_000)}
    assert (await catalogue.move(SKU, "o-1", Move.RESERVE, 3)).available == 7
    assert await catalogue.moved(SKU, "o-1", Move.RESERVE)
    assert (await catalogue.move(SKU, "o-1", Move.RELEASE, 3)).available == 10
    assert (await catalogue.move(SKU, "o-1", Move.RELEASE, 3)).available == 10
    assert (await catalogue.move(SKU, "o-2", Move.RESERVE, 4)).available == 6
    stored = json.loads((await kv.get(f"sku.{SKU}")).value or b"")
    assert stored["applied"] == ["o-1:reserve"]
    assert stored["pending"] == {}
