"""The catalogue in the `inventory` key-value bucket: one key per product, `sku.<SKU>`.

Each value is JSON: `available` (units free to reserve), `price` (the price of one unit:
`currency` and whole `nanos`; absent until staff set one, and a product without a price
cannot be ordered) and `applied`, the ids of the last changes made to it
(`<orderId>:reserve`, `<orderId>:release`). A change is a
compare-and-set on the revision read, retried on conflict, and is skipped when its id is in
`applied`: so a handler that crashed half-way and runs again never takes or gives back a
unit twice. `applied` keeps the newest 1,000 ids; a redelivery comes within seconds to
minutes, long before a product sees a thousand other changes.
"""

import json
import re
from dataclasses import dataclass, field

from nats.js.kv import KeyValue

from accord import kvrecords

APPLIED_KEPT = 1000
# SKUs become key tokens; one outside this alphabet cannot be in the catalogue.
SKU = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class UnitPrice:
    currency: str
    nanos: int


@dataclass
class Product:
    available: int
    applied: list[str] = field(default_factory=list)
    price: UnitPrice | None = None

    def encode(self) -> bytes:
        record: dict[str, object] = {"available": self.available, "applied": self.applied}
        if self.price is not None:
            record["price"] = {"currency": self.price.currency, "nanos": self.price.nanos}
        return json.dumps(record).encode()

    @classmethod
    def decode(cls, raw: bytes) -> "Product":
        data = json.loads(raw)
        price = data.get("price")
        return cls(
            int(data["available"]),
            list(data.get("applied", [])),
            UnitPrice(str(price["currency"]), int(price["nanos"])) if price else None,
        )


@dataclass(frozen=True)
class Change:
    done: bool  # applied now or before
    available: int  # units available after it (or, when refused, at the time)


@dataclass(frozen=True, slots=True)
class Catalogue:
    kv: KeyValue

    async def _read(self, sku: str) -> tuple[Product, int] | None:
        if not SKU.fullmatch(sku):
            return None
        found = await kvrecords.read(self.kv, f"sku.{sku}")
        if found is None or not found.value:
            return None
        return Product.decode(found.value), found.revision

    async def available(self, sku: str) -> int | None:
        """Units available now; None for a product not in the catalogue."""
        found = await self._read(sku)
        return None if found is None else found[0].available

    async def seed(self, sku: str, available: int) -> bool:
        """Add a product unless it is there already (a restart keeps what was sold)."""
        return (
            await kvrecords.create(self.kv, f"sku.{sku}", Product(available).encode()) is not None
        )

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

    async def change(self, sku: str, change_id: str, delta: int) -> Change:
        """Add `delta` units (negative: take them) once per `change_id`; refused (not done)
        when it would leave fewer than zero, or when the product is not in the catalogue."""
        while True:
            found = await self._read(sku)
            if found is None:
                return Change(False, 0)
            product, revision = found
            if change_id in product.applied:
                return Change(True, product.available)
            if product.available + delta < 0:
                return Change(False, product.available)
            product.available += delta
            product.applied = [*product.applied, change_id][-APPLIED_KEPT:]
            if await self._write(sku, product, revision):
                return Change(True, product.available)

    async def was_applied(self, sku: str, change_id: str) -> bool:
        found = await self._read(sku)
        return found is not None and change_id in found[0].applied

    async def _write(self, sku: str, product: Product, revision: int) -> bool:
        return await kvrecords.replace(self.kv, f"sku.{sku}", product.encode(), revision)
