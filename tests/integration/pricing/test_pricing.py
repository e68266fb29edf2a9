"""Pricing on real NATS and real gRPC: demand moves prices within their bounds, every change
is announced, quotes hold their price until they expire, bookings are idempotent and stay
with their owners."""

from __future__ import annotations

import json
from datetime import timedelta

import grpc
import pytest
from acme.pricing.v1 import pricing_pb2 as pb
from nats.aio.client import Client as NatsClient

from accord.rpc_status import reason_of
from services.pricing.flights import Flights
from services.pricing.prices import Prices
from services.pricing.quotes import QuoteExpired, Quotes
from services.pricing.records import now
from tests.integration.pricing.conftest import (
    DATE,
    UNIT,
    Stub,
    StubAs,
    eur,
    flight,
    nanos_of,
    price_after,
)
from tests.support.bus import stored

pytestmark = pytest.mark.integration

Domain = tuple[Flights, Prices, Quotes]


async def _quote(stub: Stub, customer: str, route_id: str, seats: int) -> pb.Quote:
    request = pb.GetQuoteRequest(customer_id=customer, route_id=route_id, date=DATE, seats=seats)
    return (await stub.GetQuote(request)).quote


async def _book(
    stub: Stub, customer: str, route_id: str, seats: int, request_id: str
) -> pb.Booking:
    quote = await _quote(stub, customer, route_id, seats)
    return await _book_quote(stub, customer, quote.quote_id, request_id)


async def _book_quote(stub: Stub, customer: str, quote_id: str, request_id: str) -> pb.Booking:
    request = pb.BookSeatsRequest(customer_id=customer, quote_id=quote_id, request_id=request_id)
    return (await stub.BookSeats(request)).booking


async def _price_events(nats_client: NatsClient, route_id: str) -> list[tuple[str, int, int]]:
    """(ce-id, revision, price in nanos) of every price-changed stored for the route."""
    found = []
    for msg in await stored(nats_client, "acme.pricing.v1.price.changed", timeout=5):
        body = json.loads(msg.data)
        if body["routeId"] == route_id:
            amount = body["price"]["units"] * UNIT + body["price"]["nanos"]
            found.append(((msg.headers or {}).get("ce-id", ""), body["revision"], amount))
    return found


async def test_bookings_raise_the_price_and_every_change_is_announced(
    staff: Stub, stub_as: StubAs, nats_client: NatsClient, unique: str
) -> None:
    route, alice = f"UP-{unique}", f"alice-{unique}"
    configured = await staff.ConfigureRoute(flight(route))
    # No demand: 1 + 1*(0 - 0.5) = 0.5, held at the minimum multiplier 0.8.
    assert nanos_of(configured.price.price) == 80 * UNIT
    assert configured.price.revision == 1

    async with stub_as(alice) as as_alice:
        await _book(as_alice, alice, route, 30, "r1")
        moved = await price_after(as_alice, route, 1)

    # load 0.3, velocity 0.3: 1 + (0.3 - 0.5) + 2*0.3 = 1.4
    assert (nanos_of(moved.price), moved.revision) == (140 * UNIT, 2)
    assert (moved.load_factor, moved.velocity) == pytest.approx((0.3, 0.3))
    assert await _price_events(nats_client, route) == [
        (f"price.{route}.{DATE}.1", 1, 80 * UNIT),
        (f"price.{route}.{DATE}.2", 2, 140 * UNIT),
    ]


async def test_a_price_is_held_at_its_floor_and_at_its_ceiling(
    staff: Stub, stub_as: StubAs, unique: str
) -> None:
    floored, capped, bob = f"FL-{unique}", f"CE-{unique}", f"bob-{unique}"
    at_floor = await staff.ConfigureRoute(flight(floored, floor=90))
    assert nanos_of(at_floor.price.price) == 90 * UNIT  # 80 is below the floor

    await staff.ConfigureRoute(flight(capped, capacity=10, ceiling=120))
    async with stub_as(bob) as as_bob:
        await _book(as_bob, bob, capped, 8, "r1")
        price = await price_after(as_bob, capped, 1)
    assert nanos_of(price.price) == 120 * UNIT  # 2.0 * 100 is above the ceiling
    assert price.multiplier == 2.0


async def test_a_quote_is_honoured_after_the_price_moved(
    staff: Stub, stub_as: StubAs, unique: str
) -> None:
    route, alice, bob = f"HON-{unique}", f"alice-{unique}", f"bob-{unique}"
    await staff.ConfigureRoute(flight(route))
    async with stub_as(alice) as as_alice, stub_as(bob) as as_bob:
        held = await _quote(as_alice, alice, route, 2)
        await _book(as_bob, bob, route, 40, "rush")
        moved = await price_after(as_alice, route, held.price_revision)
        booking = await _book_quote(as_alice, alice, held.quote_id, "mine")

    assert nanos_of(moved.price) > nanos_of(held.unit_price)
    assert booking.unit_price == held.unit_price
    assert nanos_of(booking.total_price) == 2 * nanos_of(held.unit_price)


async def test_a_retried_booking_is_the_same_booking_counted_once(
    staff: Stub, stub_as: StubAs, domain: Domain, unique: str
) -> None:
    route, alice = f"RT-{unique}", f"alice-{unique}"
    flights, _, _ = domain
    await staff.ConfigureRoute(flight(route))
    async with stub_as(alice) as as_alice:
        quote = await _quote(as_alice, alice, route, 30)
        request = pb.BookSeatsRequest(customer_id=alice, quote_id=quote.quote_id, request_id="r")
        first = (await as_alice.BookSeats(request)).booking
        again = (await as_alice.BookSeats(request)).booking
        await price_after(as_alice, route, 1)
        other = await _quote(as_alice, alice, route, 1)
        with pytest.raises(grpc.aio.AioRpcError) as reused:
            await _book_quote(as_alice, alice, other.quote_id, "r")
        with pytest.raises(grpc.aio.AioRpcError) as used:
            await _book_quote(as_alice, alice, quote.quote_id, "r2")

    assert again == first
    assert (reused.value.code(), reason_of(reused.value)) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "REQUEST_ID_REUSED",
    )
    assert (used.value.code(), reason_of(used.value)) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "QUOTE_USED",
    )
    assert (await flights.get(route, DATE)).booked_seats == 30
    demand = await flights.demand(route, DATE)
    assert [b.booking_id for b in demand.recent] == [first.booking_id]
    # The event again (a replay, under any event id): the booking is not counted twice.
    replayed = await flights.record_demand(route, DATE, demand.recent[0], timedelta(minutes=15))
    assert replayed == demand


async def test_another_customers_quote_is_not_found(
    staff: Stub, stub_as: StubAs, unique: str
) -> None:
    route, alice, bob = f"OWN-{unique}", f"alice-{unique}", f"bob-{unique}"
    await staff.ConfigureRoute(flight(route))
    async with stub_as(alice) as as_alice, stub_as(bob) as as_bob:
        quote = await _quote(as_alice, alice, route, 1)
        with pytest.raises(grpc.aio.AioRpcError) as theirs:
            await _book_quote(as_bob, bob, quote.quote_id, "x")
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await as_bob.BookSeats(
                pb.BookSeatsRequest(customer_id=bob, quote_id="q-none", request_id="y")
            )
        with pytest.raises(grpc.aio.AioRpcError) as for_alice:
            await _quote(as_bob, alice, route, 1)

    assert theirs.value.code() == grpc.StatusCode.NOT_FOUND
    assert theirs.value.details() == (missing.value.details() or "").replace(
        "q-none", quote.quote_id
    )
    assert for_alice.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_the_last_seats_go_to_one_booking_and_the_other_quote_is_refused(
    staff: Stub, stub_as: StubAs, unique: str
) -> None:
    route, alice, bob = f"LAST-{unique}", f"alice-{unique}", f"bob-{unique}"
    await staff.ConfigureRoute(flight(route, capacity=2))
    async with stub_as(alice) as as_alice, stub_as(bob) as as_bob:
        bobs = await _quote(as_bob, bob, route, 1)
        await _book(as_alice, alice, route, 2, "all")
        with pytest.raises(grpc.aio.AioRpcError) as sold_out:
            await _book_quote(as_bob, bob, bobs.quote_id, "late")
        with pytest.raises(grpc.aio.AioRpcError) as no_quote:
            await _quote(as_bob, bob, route, 1)
        with pytest.raises(grpc.aio.AioRpcError) as shrink:
            await staff.ConfigureRoute(flight(route, capacity=1))

    assert reason_of(sold_out.value) == reason_of(no_quote.value) == "SOLD_OUT"
    assert (shrink.value.code(), reason_of(shrink.value)) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "CAPACITY_BELOW_BOOKED",
    )


async def test_an_expired_quote_is_refused_unless_its_booking_had_claimed_it(
    staff: Stub, domain: Domain, unique: str
) -> None:
    route, alice = f"EXP-{unique}", f"alice-{unique}"
    flights, _, quotes = domain
    await staff.ConfigureRoute(flight(route))
    quote = await quotes.quote(alice, route, DATE, 1, now())
    late = quote.expires_at + timedelta(microseconds=1)
    with pytest.raises(QuoteExpired):
        await quotes.book(alice, quote.quote_id, "late", late)
    # At the very last moment it is still honoured, and a retry after expiry finds it.
    booking = await quotes.book(alice, quote.quote_id, "in-time", quote.expires_at)
    assert await quotes.book(alice, quote.quote_id, "in-time", late) == booking
    assert (await flights.get(route, DATE)).booked_seats == 1


async def test_velocity_fades_as_bookings_leave_the_window(
    staff: Stub, stub_as: StubAs, domain: Domain, unique: str
) -> None:
    from services.pricing.app import model
    from services.pricing.settings import PricingSettings
    from services.pricing.sweep import Sweeper

    route, alice = f"FADE-{unique}", f"alice-{unique}"
    flights, prices, _ = domain
    await staff.ConfigureRoute(flight(route))
    async with stub_as(alice) as as_alice:
        await _book(as_alice, alice, route, 30, "burst")
        rushed = await price_after(as_alice, route, 1)
    assert nanos_of(rushed.price) == 140 * UNIT

    window = model(PricingSettings()).window
    sweeper = Sweeper(flights, prices, window, every=30)
    assert await sweeper.sweep_once(now() + window / 2) >= 1  # still in the window: unchanged
    assert (await prices.get(route, DATE)).revision == 2
    await sweeper.sweep_once(now() + window + timedelta(seconds=1))
    faded = await prices.get(route, DATE)
    # load 0.3 alone: 1 + (0.3 - 0.5) = 0.8
    assert (faded.price, faded.revision, faded.velocity) == (80 * UNIT, 3, 0.0)


async def test_requests_are_checked(staff: Stub, stub_as: StubAs, unique: str) -> None:
    alice = f"alice-{unique}"
    bad = pb.ConfigureRouteRequest(
        route_id="no spaces",
        date="2026-02-30",
        capacity=0,
        base_fare=eur(1),
        floor=eur(5),
        ceiling=pb.Money(currency_code="USD", units=4),
    )
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await staff.ConfigureRoute(bad)
    async with stub_as(alice) as as_alice:
        with pytest.raises(grpc.aio.AioRpcError) as not_staff:
            await as_alice.ConfigureRoute(flight(f"X-{unique}"))
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await as_alice.GetPrice(pb.GetPriceRequest(route_id=f"NONE-{unique}", date=DATE))

    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    for field in ("route_id", "date", "capacity", "ceiling.currency_code", "ceiling"):
        assert field in (invalid.value.details() or "")
    assert not_staff.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
