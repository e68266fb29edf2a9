"""Flights: their fare, their seats (never oversold) and their demand, in `pricing_routes`.

Keys:
- `route.<routeId>.<date>`: the FlightRecord. Seats are reserved by compare-and-set on its
  revision, so two bookings racing for the last seat cannot both get it.
- `booked.<routeId>.<date>.<bookingId>`: the marker of a booking whose seats the flight
  counted (it holds the number of seats), never deleted. A booking's seats are counted once,
  forever, as a step of `accord.exactly_once`: the seat count and the flight's `pending` map
  change in one compare-and-set, then the marker is created, then the booking leaves
  `pending`. A retried BookSeats, however late, finds its booking pending or marked and
  counts nothing; one interrupted between those writes is finished by its retry. The flight
  record holds only the bookings in flight, never a history. (Flights written before the
  markers kept their last 512 bookings in `applied`; a booking named there counts as counted.)
- `demand.<routeId>.<date>`: the DemandRecord the demand consumer keeps from
  booking-confirmed events: the bookings inside the velocity window, each once, so a
  redelivered event changes nothing (see `record_demand`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from accord import kvjson
from accord.exactly_once import ExactlyOnce, RecordNotFound, Step
from accord.kv import keys_matching
from services.pricing.records import DemandRecord, FlightRecord, RecentBooking

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


def booked_key(route_id: str, date: str, booking_id: str) -> str:
    return f"booked.{route_id}.{date}.{booking_id}"


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
                update={  # what bookings wrote stays
                    "booked_seats": current.booked_seats,
                    "pending": current.pending,
                    "applied": current.applied,
                }
            )
            if await self._save(changed, revision):
                return changed

    async def reserve(self, route_id: str, date: str, booking_id: str, seats: int) -> FlightRecord:
        """Count a booking's seats, once, forever: a booking counted before changes nothing
        (one interrupted after counting them is finished); SoldOut when too few are left."""

        def count(flight: FlightRecord) -> None:
            if flight.seats_left < seats:
                raise SoldOut(flight.seats_left)
            flight.booked_seats += seats

        async def not_counted_before_markers(flight: FlightRecord) -> bool:
            return booking_id not in flight.applied

        step = Step(booking_id, booked_key(route_id, date, booking_id), str(seats))
        try:
            flight, _ = await self._seats.apply(
                flight_key(route_id, date), step, count, not_counted_before_markers
            )
        except RecordNotFound as missing:
            raise FlightNotFound(f"{route_id} {date}") from missing
        return flight

    @property
    def _seats(self) -> ExactlyOnce[FlightRecord]:
        """Bookings' seats counted on flight records, with their markers beside them."""
        return ExactlyOnce(self.kv, self.kv, FlightRecord)

    async def demand(self, route_id: str, date: str) -> DemandRecord:
        return (await self._read_demand(route_id, date))[0]

    async def record_demand(
        self, route_id: str, date: str, booking: RecentBooking, window: timedelta
    ) -> DemandRecord:
        """Add a booking to the flight's velocity window, once. Bookings that left the window
        by the time of the newest are dropped: they count no more.

        The window is its own record of what it counted, so it needs no marker per booking:
        a booking in `recent` is not added again, and one not there never came or left the
        window. One that left stays out: it left because a booking at least `window` newer
        was there, and the newest is never dropped, so the newest only grows and the same
        booking (same `booked_at`: events carry the stored booking's) is dropped again at
        once. So no booking is in the window twice, however late its event is replayed."""

        def add(current: DemandRecord | None) -> DemandRecord | None:
            recent = current.recent if current is not None else []
            if any(b.booking_id == booking.booking_id for b in recent):
                return None
            newest = max(b.booked_at for b in [*recent, booking])
            kept = [b for b in [*recent, booking] if b.booked_at > newest - window]
            if booking not in kept:
                return None  # outside the window already: nothing changes
            return DemandRecord(recent=kept)

        stored = await kvjson.change(self.kv, demand_key(route_id, date), DemandRecord, add)
        return stored or DemandRecord()

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
