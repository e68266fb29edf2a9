"""BookSeats calls racing with one request id and different quotes, on real NATS and real
gRPC: one booking wins, the others are refused as a reused request id, the flight counts the
winner's seats alone, and the losers' quotes stay free to book."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from acme.pricing.v1 import pricing_pb2 as pb

from accord.rpc_status import reason_of
from services.pricing.flights import Flights
from services.pricing.prices import Prices
from services.pricing.quotes import Quotes
from tests.integration.pricing.conftest import DATE, Stub, StubAs, flight

pytestmark = pytest.mark.integration

Domain = tuple[Flights, Prices, Quotes]
RACERS = 6  # each with its own quote, for 1..RACERS seats: a mixed-up count shows


async def _quote(stub: Stub, customer: str, route_id: str, seats: int) -> pb.Quote:
    request = pb.GetQuoteRequest(customer_id=customer, route_id=route_id, date=DATE, seats=seats)
    return (await stub.GetQuote(request)).quote


async def _book(stub: Stub, customer: str, quote_id: str, request_id: str) -> pb.Booking | str:
    """The booking, or the reason it was refused."""
    request = pb.BookSeatsRequest(customer_id=customer, quote_id=quote_id, request_id=request_id)
    try:
        return (await stub.BookSeats(request)).booking
    except grpc.aio.AioRpcError as refused:
        return f"{refused.code().name} {reason_of(refused)}"


async def test_one_request_id_with_racing_quotes_books_one_of_them(
    staff: Stub, stub_as: StubAs, domain: Domain, unique: str
) -> None:
    route, alice = f"RACE-{unique}", f"alice-{unique}"
    flights, _, _ = domain
    await staff.ConfigureRoute(flight(route))
    async with stub_as(alice) as as_alice:
        quotes = [await _quote(as_alice, alice, route, seats) for seats in range(1, RACERS + 1)]
        outcomes = await asyncio.gather(
            *(_book(as_alice, alice, quote.quote_id, "same") for quote in quotes)
        )
        booked = [o for o in outcomes if isinstance(o, pb.Booking)]
        refused = [o for o in outcomes if isinstance(o, str)]
        assert len(booked) == 1, outcomes
        winner = booked[0]
        assert refused == ["ALREADY_EXISTS REQUEST_ID_REUSED"] * (RACERS - 1)
        won = next(q for q in quotes if q.quote_id == winner.quote_id)
        assert winner.seats == won.seats
        assert (await flights.get(route, DATE)).booked_seats == winner.seats

        # The same request again is the same booking; the losers' quotes were never used.
        assert await _book(as_alice, alice, won.quote_id, "same") == winner
        others = [q for q in quotes if q.quote_id != won.quote_id]
        later = [await _book(as_alice, alice, q.quote_id, f"r{n}") for n, q in enumerate(others)]
        assert all(isinstance(booking, pb.Booking) for booking in later), later

    assert (await flights.get(route, DATE)).booked_seats == sum(range(1, RACERS + 1))


async def test_a_retry_racing_its_first_try_is_one_booking_counted_once(
    staff: Stub, stub_as: StubAs, domain: Domain, unique: str
) -> None:
    route, alice = f"TWIN-{unique}", f"alice-{unique}"
    flights, _, _ = domain
    await staff.ConfigureRoute(flight(route))
    async with stub_as(alice) as as_alice:
        quote = await _quote(as_alice, alice, route, 3)
        outcomes = await asyncio.gather(
            *(_book(as_alice, alice, quote.quote_id, "twin") for _ in range(RACERS))
        )

    assert all(isinstance(o, pb.Booking) for o in outcomes), outcomes
    assert all(o == outcomes[0] for o in outcomes)
    assert (await flights.get(route, DATE)).booked_seats == 3
