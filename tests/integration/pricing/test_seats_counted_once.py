"""A booking's seats are counted on its flight once, forever, and in its demand window once,
on real NATS.

Before: a flight remembered the ids of its last 512 bookings, and `reserve` skipped only a
booking still among them. A BookSeats interrupted between reserving its seats and storing
the booking, retried after 512 later bookings of the same flight (or a replay doing the
same), counted its seats again: seats sold that nobody holds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nats.aio.client import Client as NatsClient

from services.pricing.flights import ROUTES_BUCKET, Flights
from services.pricing.prices import Prices
from services.pricing.quotes import Quotes
from services.pricing.records import FlightRecord, RecentBooking
from tests.integration.pricing.conftest import DATE, UNIT

pytestmark = pytest.mark.integration

Domain = tuple[Flights, Prices, Quotes]
LATER_BOOKINGS = 600  # more than the 512 booking ids a flight used to remember


async def new_flight(flights: Flights, route_id: str, capacity: int) -> FlightRecord:
    return await flights.configure(
        FlightRecord(
            route_id=route_id,
            date=DATE,
            currency="EUR",
            capacity=capacity,
            base_fare=100 * UNIT,
            floor=50 * UNIT,
            ceiling=300 * UNIT,
        )
    )


async def test_a_booking_retried_after_many_later_bookings_is_not_counted_again(
    domain: Domain, unique: str
) -> None:
    flights, _, _ = domain
    route = f"ONCE-{unique}"
    configured = await new_flight(flights, route, capacity=LATER_BOOKINGS + 10)
    await flights.reserve(route, DATE, "bk-first", 3)
    for n in range(LATER_BOOKINGS):
        await flights.reserve(route, DATE, f"bk-later-{n}", 1)

    again = await flights.reserve(route, DATE, "bk-first", 3)

    stored = await flights.get(route, DATE)
    assert again.booked_seats == stored.booked_seats == 3 + LATER_BOOKINGS
    # No growing history: after hundreds of bookings the record is the size it was new
    # (give or take the digits of the seat count).
    assert len(stored.model_dump_json()) <= len(configured.model_dump_json()) + 5


class Crash(Exception):
    """The process died at this write."""


def crash_at(kv: Any, method: str, call: int) -> None:
    """Make the `call`-th `kv.<method>` (1 = the first) raise Crash without writing."""
    real = getattr(kv, method)
    calls = 0

    async def write(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == call:
            raise Crash(f"{method} #{call}")
        return await real(*args, **kwargs)

    setattr(kv, method, write)


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("create", 1),  # the seats counted, the booking's marker not written
        ("update", 2),  # the marker written, the booking still named pending in the flight
    ],
)
async def test_a_reservation_interrupted_between_its_writes_is_finished_by_its_retry(
    domain: Domain, nats_client: NatsClient, unique: str, method: str, call: int
) -> None:
    flights, _, _ = domain
    route = f"CRASH-{unique}"
    await new_flight(flights, route, capacity=10)
    dying_kv = await nats_client.jetstream().key_value(ROUTES_BUCKET)
    crash_at(dying_kv, method, call)

    with pytest.raises(Crash):
        await Flights(dying_kv).reserve(route, DATE, "bk-first", 3)
    interrupted = await flights.get(route, DATE)
    await new_flight(flights, route, capacity=12)  # staff change the flight meanwhile
    retried = await flights.reserve(route, DATE, "bk-first", 3)
    await flights.reserve(route, DATE, "bk-second", 2)
    replayed = await flights.reserve(route, DATE, "bk-first", 3)

    assert interrupted.booked_seats == 3  # counted before the crash
    assert retried.booked_seats == 3
    assert replayed.booked_seats == (await flights.get(route, DATE)).booked_seats == 5
    assert (await flights.get(route, DATE)).pending == {}


WINDOW = timedelta(minutes=15)
BOOKED_AT = datetime(2026, 12, 1, 9, tzinfo=UTC)


def booked(booking_id: str, after: timedelta = timedelta(0)) -> RecentBooking:
    return RecentBooking(booking_id=booking_id, seats=1, booked_at=BOOKED_AT + after)


A_RUSH = [n * timedelta(milliseconds=1) for n in range(1, LATER_BOOKINGS + 1)]


@pytest.mark.parametrize(
    ("later", "first_in_window"),
    [
        (A_RUSH, True),  # more later bookings than a flight used to remember, all in the window
        ([WINDOW], False),  # one a window later: the first left the window
    ],
    ids=["after-many-later-bookings", "after-it-left-the-window"],
)
async def test_a_booking_replayed_is_in_the_window_once_at_most(
    domain: Domain, unique: str, later: list[timedelta], first_in_window: bool
) -> None:
    flights, _, _ = domain
    route = f"DEMAND-{unique}"
    await flights.record_demand(route, DATE, booked("bk-first"), WINDOW)
    for n, after in enumerate(later):
        await flights.record_demand(route, DATE, booked(f"bk-{n}", after), WINDOW)
    before = await flights.demand(route, DATE)

    replayed = await flights.record_demand(route, DATE, booked("bk-first"), WINDOW)

    assert [b.booking_id for b in before.recent].count("bk-first") == first_in_window
    assert len(before.recent) == len(later) + first_in_window
    assert replayed == before == await flights.demand(route, DATE)


async def test_a_flight_stored_before_the_markers_still_counts_the_bookings_it_names(
    domain: Domain, unique: str
) -> None:
    flights, _, _ = domain
    route = f"OLD-{unique}"
    old = {
        "route_id": route,
        "date": DATE,
        "currency": "EUR",
        "capacity": 10,
        "base_fare": 100 * UNIT,
        "floor": 50 * UNIT,
        "ceiling": 300 * UNIT,
        "booked_seats": 3,
        "applied": ["bk-old"],  # as the flight remembered its bookings then
    }
    await flights.kv.create(f"route.{route}.{DATE}", json.dumps(old).encode())

    retried = await flights.reserve(route, DATE, "bk-old", 3)
    newer = await flights.reserve(route, DATE, "bk-new", 2)

    assert retried.booked_seats == 3
    assert newer.booked_seats == (await flights.get(route, DATE)).booked_seats == 5
    assert newer.applied == ["bk-old"]  # read, never written again
