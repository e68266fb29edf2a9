"""Flights: their fare, their seats (never oversold) and their demand, in `pricing_routes`.

Keys:
- `route.<routeId>.<date>`: the FlightRecord. Seats are reserved by compare-and-set on its
  revision, so two bookings racing for the last seat cannot both get it; a booking's seats
  are counted once (its id is remembered), so a retried BookSeats never counts them twice.
- `demand.<routeId>.<date>`: the DemandRecord the demand consumer keeps from
  booking-confirmed events: the bookings inside the velocity window, and the booking ids
  already counted, so a redelivered event changes nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from accord import kvjson
from accord.kv import keys_matching
from services.pricing.records import DemandRecord, FlightRecord, RecentBooking, remember

ROUTES_BUCKET = "pricing_routes"


class FlightNotFound(Exception):
    pass


class SoldOut(Exception):
    """Fewer seats are left than asked for."""

    def __init__(self, seats_left: int) -> None:
        super().__init__(f"{seats_left} seats left")
        self.seats_left = seats_left


class CapacityBelowBooked(Exception):
    def __init__(self, booked: int) -> None:
        super().__init__(f"{booked} seats are already booked")
        self.booked = booked


def flight_key(route_id: str, date: str) -> str:
    return f"route.{route_id}.{date}"


def demand_key(route_id: str, date: str) -> str:
    return f"demand.{route_id}.{date}"


@dataclass(frozen=True, slots=True)
class Flights:
    kv: KeyValue

    async def get(self, route_id: str, date: str) -> FlightRecord:
        return (await self._read(route_id, date))[0]

    async def configure(
        self, wanted: FlightRecord, *, only_if_absent: bool = False
    ) -> FlightRecord:
        """Create the flight or change its fare; the seats booked stay as they are."""
        key = flight_key(wanted.route_id, wanted.date)
        while True:
            try:
                current, revision = await self._read(wanted.route_id, wanted.date)
            except FlightNotFound:
                try:
                    await self.kv.create(key, wanted.model_dump_json().encode())
                    return wanted
                except KeyWrongLastSequenceError:
                    continue  # created meanwhile: change that one
            if only_if_absent:
                return current
            if wanted.capacity < current.booked_seats:
                raise CapacityBelowBooked(current.booked_seats)
            changed = wanted.model_copy(
                update={"booked_seats": current.booked_seats, "applied": current.applied}
            )
            if await self._save(changed, revision):
                return changed

    async def reserve(self, route_id: str, date: str, booking_id: str, seats: int) -> FlightRecord:
        """Count a booking's seats, once: a booking already counted changes nothing."""
        while True:
            flight, revision = await self._read(route_id, date)
            if booking_id in flight.applied:
                return flight
            if flight.seats_left < seats:
                raise SoldOut(flight.seats_left)
            flight.booked_seats += seats
            flight.applied = remember(flight.applied, booking_id)
            if await self._save(flight, revision):
                return flight

    async def demand(self, route_id: str, date: str) -> DemandRecord:
        return (await self._read_demand(route_id, date))[0]

    async def record_demand(
        self, route_id: str, date: str, booking: RecentBooking, window: timedelta
    ) -> DemandRecord:
        """Add a booking to the flight's velocity window, once per booking id. Bookings that
        left the window by the time of the newest are dropped: they count no more."""
        key = demand_key(route_id, date)
        while True:
            demand, revision = await self._read_demand(route_id, date)
            if booking.booking_id in demand.applied:
                return demand
            recent = [*demand.recent, booking]
            newest = max(b.booked_at for b in recent)
            demand.recent = [b for b in recent if b.booked_at > newest - window]
            demand.applied = remember(demand.applied, booking.booking_id)
            value = demand.model_dump_json().encode()
            try:
                if revision:
                    await self.kv.update(key, value, last=revision)
                else:
                    await self.kv.create(key, value)
            except KeyWrongLastSequenceError:
                continue
            return demand

    async def recently_booked(self, since: datetime) -> list[tuple[str, str]]:
        """(route id, date) of every flight with a booking counted after `since`."""
        found = []
        for key in await keys_matching(self.kv, "demand.*.*"):
            _, route_id, date = key.split(".")
            demand = await self.demand(route_id, date)
            last = demand.last_booked_at
            if last is not None and last > since:
                found.append((route_id, date))
        return found

    async def _read(self, route_id: str, date: str) -> tuple[FlightRecord, int]:
        found = await kvjson.read(self.kv, flight_key(route_id, date), FlightRecord)
        if found is None:
            raise FlightNotFound(f"{route_id} {date}")
        return found

    async def _read_demand(self, route_id: str, date: str) -> tuple[DemandRecord, int]:
        try:
            entry = await self.kv.get(demand_key(route_id, date))
        except KeyNotFoundError:
            return DemandRecord(), 0
        return DemandRecord.model_validate_json(entry.value or b"{}"), entry.revision or 0

    async def _save(self, flight: FlightRecord, revision: int) -> bool:
        """Compare-and-set; False when another call changed the flight first (re-read)."""
        return await kvjson.replace(
            self.kv, flight_key(flight.route_id, flight.date), flight, revision
        )
