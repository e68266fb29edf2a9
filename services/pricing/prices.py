"""The current price of each flight, in `pricing_prices`: the one place every channel reads.

`reprice` computes the price from the flight's fare and demand (services/pricing/demand.py)
and, when it differs from the stored one, stores it as the next revision by compare-and-set
on the stored entry. The stored entry is read FIRST, then the fare and the demand: a
reprice that read older demand than a concurrent one can then never overwrite the newer
result (its compare-and-set fails, it re-reads, recomputes).

A revision is announced (price-changed, id `price.<routeId>.<date>.<revision>`) after it
is stored, then marked announced. Any later reprice of the flight that finds its revision
unannounced (the publish failed, the process died) announces it, so none is lost; a repeat
has the same event id.
"""

import contextlib
from dataclasses import dataclass
from datetime import datetime

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from services.pricing import demand
from services.pricing.events import PricingEvents
from services.pricing.flights import Flights
from services.pricing.records import PriceRecord

PRICES_BUCKET = "pricing_prices"


class PriceNotFound(Exception):
    pass


def price_key(route_id: str, date: str) -> str:
    return f"price.{route_id}.{date}"


@dataclass(frozen=True, slots=True)
class Prices:
    kv: KeyValue
    flights: Flights
    model: demand.Model
    events: PricingEvents

    async def get(self, route_id: str, date: str) -> PriceRecord:
        record, _ = await self._read(route_id, date)
        if record is None:
            raise PriceNotFound(f"{route_id} {date}")
        return record

    async def reprice(self, route_id: str, date: str, now: datetime) -> PriceRecord:
        """The flight's price as of `now`, stored (and announced) if it changed."""
        key = price_key(route_id, date)
        while True:
            current, revision = await self._read(route_id, date)
            flight = await self.flights.get(route_id, date)
            recent = (await self.flights.demand(route_id, date)).window()
            quoted = demand.price(self.model, flight.fare, flight.booked_seats, recent, now)
            if (
                current is not None
                and current.price == quoted.price
                and current.currency == flight.currency
            ):
                if not current.announced:
                    await self._announce(current, revision)
                return current
            record = PriceRecord(
                route_id=route_id,
                date=date,
                currency=flight.currency,
                price=quoted.price,
                revision=current.revision + 1 if current else 1,
                multiplier=float(quoted.multiplier),
                load_factor=float(quoted.load),
                velocity=float(quoted.velocity),
                changed_at=now,
            )
            value = record.model_dump_json().encode()
            try:
                if current is None:
                    stored = await self.kv.create(key, value)
                else:
                    stored = await self.kv.update(key, value, last=revision)
            except KeyWrongLastSequenceError:
                continue  # another reprice stored first: read what it stored, recompute
            await self._announce(record, stored)
            return record

    async def _announce(self, record: PriceRecord, revision: int) -> None:
        await self.events.price_changed(record)
        record.announced = True
        # A newer revision may be stored meanwhile: its writer announces it.
        with contextlib.suppress(KeyWrongLastSequenceError):
            await self.kv.update(
                price_key(record.route_id, record.date),
                record.model_dump_json().encode(),
                last=revision,
            )

    async def _read(self, route_id: str, date: str) -> tuple[PriceRecord | None, int]:
        try:
            entry = await self.kv.get(price_key(route_id, date))
        except KeyNotFoundError:
            return None, 0
        if not entry.value:
            return None, entry.revision or 0
        return PriceRecord.model_validate_json(entry.value), entry.revision or 0
