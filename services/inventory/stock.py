"""The catalogue in the `inventory` key-value bucket.

Keys:
- `sku.<SKU>`: the Product, JSON: `available` (units free to reserve), `price` (the price of
  one unit: `currency` and whole `nanos`; absent until staff set one, and a product without
  a price cannot be ordered) and `pending`, the changes of its units in flight.
- `reserved.<SKU>.<orderId>` and `released.<SKU>.<orderId>`: the marker of an order's units
  taken from the product, or given back to it (it holds the number of units), never deleted.

An order's units are taken once and given back once, forever: each is a step of
`accord.exactly_once`. The units and the product's `pending` map change in one
compare-and-set on the revision read, then the marker is created, then the change leaves
`pending`. A handler that crashed half-way and runs again, or an event redelivered or
replayed however late, finds the change pending or marked and moves no unit; one
interrupted between those writes is finished by whoever runs it next. The product holds
only the changes in flight, never a history. (Products written before the markers kept
their last 1,000 changes in `applied`, as `<orderId>:reserve` and `<orderId>:release`; a
change named there counts as applied. That list is read, never written.)
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from nats.js.kv import KeyValue
from pydantic import Field

from accord import kvrecords
from accord.exactly_once import ExactlyOnce, RecordNotFound, Step, StepRecord

# SKUs become key tokens; one outside this alphabet cannot be in the catalogue.
SKU = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class UnitPrice:
    currency: str
    nanos: int


class Product(StepRecord):
    """A product; its `pending` map names the orders' changes of its units in flight."""

    available: int
    price: UnitPrice | None = None
    # Before the markers: the last changes made to it. Read, never written.
    applied: list[str] = Field(default_factory=list)


class Move(StrEnum):
    """What an order does to a product's units."""

    RESERVE = "reserve"  # takes them
    RELEASE = "release"  # gives them back


_MARKED_AS = {Move.RESERVE: "reserved", Move.RELEASE: "released"}


def _step(sku: str, order_id: str, move: Move, units: int) -> Step:
    # The step id is the one `applied` named before the markers, so that list still counts.
    marker = f"{_MARKED_AS[move]}.{sku}.{order_id}"
    return Step(f"{order_id}:{move}", marker, str(units))


@dataclass(frozen=True)
class Change:
    done: bool  # applied now or before
    available: int  # units available after it (or, when refused, at the time)


class _Short(Exception):
    def __init__(self, available: int) -> None:
        super().__init__(f"{available} units available")
        self.available = available


@dataclass(frozen=True, slots=True)
class Catalogue:
    kv: KeyValue

    async def _read(self, sku: str) -> tuple[Product, int] | None:
        if not SKU.fullmatch(sku):
            return None
        found = await kvrecords.read(self.kv, f"sku.{sku}")
        if found is None or not found.value:
            return None
        return Product.model_validate_json(found.value), found.revision

    async def available(self, sku: str) -> int | None:
        """Units available now; None for a product not in the catalogue."""
        found = await self._read(sku)
        return None if found is None else found[0].available

    async def seed(self, sku: str, available: int) -> bool:
        """Add a product unless it is there already (a restart keeps what was sold)."""
        product = Product(available=available).model_dump_json().encode()
        return await kvrecords.create(self.kv, f"sku.{sku}", product) is not None

    async def prices(self, skus: list[str]) -> dict[str, UnitPrice]:
        """The price of each of these products that the catalogue sells."""
        found: dict[str, UnitPrice] = {}
        for sku in dict.fromkeys(skus):
            product = await self._read(sku)
            if product is not None and product[0].price is not None:
                found[sku] = product[0].price
        return found

    async def set_price(self, sku: str, price: UnitPrice, only_if_unpriced: bool = False) -> bool:
        """Set a product's price; False when it is not in the catalogue (or, with
        `only_if_unpriced`, already has a price: a restart keeps what staff set)."""
        while True:
            found = await self._read(sku)
            if found is None:
                return False
            product, revision = found
            if product.price == price or (only_if_unpriced and product.price is not None):
                return product.price == price
            product.price = price
            if await self._write(sku, product, revision):
                return True

    async def set(self, sku: str, available: int) -> None:
        while True:
            found = await self._read(sku)
            if found is None:
                if await self.seed(sku, available):
                    return
                continue
            product, revision = found
            product.available = available
            if await self._write(sku, product, revision):
                return

    async def move(self, sku: str, order_id: str, move: Move, units: int) -> Change:
        """Take an order's units of a product (RESERVE) or give them back (RELEASE), once,
        forever. Refused (not done) when it would leave fewer than zero, or when the
        product is not in the catalogue."""
        if not SKU.fullmatch(sku):
            return Change(False, 0)
        delta = -units if move == Move.RESERVE else units
        step = _step(sku, order_id, move, units)

        def count(product: Product) -> None:
            if product.available + delta < 0:
                raise _Short(product.available)
            product.available += delta

        async def not_applied_before_markers(product: Product) -> bool:
            return step.step_id not in product.applied

        try:
            product, _ = await self._moves.apply(
                f"sku.{sku}", step, count, not_applied_before_markers
            )
        except RecordNotFound:
            return Change(False, 0)
        except _Short as short:
            return Change(False, short.available)
        return Change(True, product.available)

    async def moved(self, sku: str, order_id: str, move: Move) -> bool:
        """Whether the order's units of this product were taken (or given back)."""
        found = await self._read(sku)
        if found is None:
            return False
        product, step = found[0], _step(sku, order_id, move, 0)
        return step.step_id in product.applied or await self._moves.applied(product, step)

    @property
    def _moves(self) -> ExactlyOnce[Product]:
        """Orders' units moved on product records, with their markers beside them."""
        return ExactlyOnce(self.kv, self.kv, Product)

    async def _write(self, sku: str, product: Product, revision: int) -> bool:
        value = product.model_dump_json().encode()
        return await kvrecords.replace(self.kv, f"sku.{sku}", value, revision)
