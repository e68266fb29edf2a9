"""Each order's reservation in the `inventory` bucket, key `reservation.<orderId>` (JSON).

Its status says how far the order got, and decides what a redelivered event does:

- RESERVING: written first, with the lines; taking units may have started;
- RESERVED: every line is held;
- OUT_OF_STOCK: a line was short; whatever had been taken is (being) given back;
- RELEASED: the order was cancelled after it was reserved; its units are (being) given back;
- CANCELLED: the order was cancelled before it was reserved; nothing will be taken.

Created once (`create`), changed only by compare-and-set on the revision read.
"""

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from nats.js.kv import KeyValue

from accord import kvrecords


class Status(StrEnum):
    RESERVING = "RESERVING"
    RESERVED = "RESERVED"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    RELEASED = "RELEASED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class Shortfall:
    sku: str
    requested: int
    available: int


@dataclass
class Reservation:
    order_id: str
    customer_id: str
    status: Status
    lines: dict[str, int] = field(default_factory=dict)  # sku → units, one entry per sku
    shortages: list[Shortfall] = field(default_factory=list)

    def encode(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def decode(cls, raw: bytes) -> "Reservation":
        data = json.loads(raw)
        return cls(
            order_id=data["order_id"],
            customer_id=data["customer_id"],
            status=Status(data["status"]),
            lines={sku: int(units) for sku, units in data["lines"].items()},
            shortages=[Shortfall(**shortage) for shortage in data["shortages"]],
        )


@dataclass(frozen=True, slots=True)
class Reservations:
    kv: KeyValue

    async def get(self, order_id: str) -> tuple[Reservation, int] | None:
        found = await kvrecords.read(self.kv, f"reservation.{order_id}")
        if found is None or not found.value:
            return None
        return Reservation.decode(found.value), found.revision

    async def create(self, reservation: Reservation) -> int | None:
        """Its revision, or None when the order has a reservation already."""
        key = f"reservation.{reservation.order_id}"
        return await kvrecords.create(self.kv, key, reservation.encode())

    async def replace(self, reservation: Reservation, revision: int) -> bool:
        key = f"reservation.{reservation.order_id}"
        return await kvrecords.replace(self.kv, key, reservation.encode(), revision)
