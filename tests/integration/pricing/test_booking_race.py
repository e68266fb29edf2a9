"""BookSeats calls racing with one request id, on real NATS and real gRPC: with different
quotes, one booking wins, the others are refused as a reused request id, the flight counts
the winner's seats alone and the losers' quotes stay free to book; with the same quote (a
retry racing its first try), every call answers the one booking, counted once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

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
Outcome = pb.Booking | str  # the booking, or the status and reason it was refused with


@dataclass(frozen=True)
class Customer:
    """A customer calling BookSeats on one flight of their own."""

    name: str
    route_id: str
    stub: Stub

    async def quote(self, seats: int) -> pb.Quote:
        request = pb.GetQuoteRequest(
            customer_id=self.name, route_id=self.route_id, date=DATE, seats=seats
        )
        return (await self.stub.GetQuote(request)).quote

    async def book(self, quote: pb.Quote, request_id: str) -> Outcome:
        request = pb.BookSeatsRequest(
            customer_id=self.name, quote_id=quote.quote_id, request_id=request_id
        )
        try:
            return (await self.stub.BookSeats(request)).booking
        except grpc.aio.AioRpcError as refused:
            return f"{refused.code().name} {reason_of(refused)}"

    async def book_at_once(self, quotes: list[pb.Quote], request_id: str) -> list[Outcome]:
        """Every quote booked under `request_id`, the calls all in flight together."""
        return await asyncio.gather(*(self.book(quote, request_id) for quote in quotes))


@asynccontextmanager
async def alice_on_a_new_flight(
    staff: Stub, stub_as: StubAs, route_id: str
) -> AsyncIterator[Customer]:
    await staff.ConfigureRoute(flight(route_id))
    async with stub_as(f"alice-{route_id}") as stub:
        yield Customer(f"alice-{route_id}", route_id, stub)


async def test_one_request_id_with_racing_quotes_books_one_of_them(
    staff: Stub, stub_as: StubAs, domain: Domain, unique: str
) -> None:
    flights, _, _ = domain
    async with alice_on_a_new_flight(staff, stub_as, f"RACE-{unique}") as alice:
        quotes = [await alice.quote(seats) for seats in range(1, RACERS + 1)]
        outcomes = await alice.book_at_once(quotes, "same")
        booked = [o for o in outcomes if isinstance(o, pb.Booking)]
        assert len(booked) == 1, outcomes
        winner = booked[0]
        refused = [o for o in outcomes if not isinstance(o, pb.Booking)]
        assert refused == ["ALREADY_EXISTS REQUEST_ID_REUSED"] * (RACERS - 1)
        won = next(q for q in quotes if q.quote_id == winner.quote_id)
        assert winner.seats == won.seats
        assert (await flights.get(alice.route_id, DATE)).booked_seats == winner.seats

        # The same request again is the same booking; the losers' quotes were never used.
        assert await alice.book(won, "same") == winner
        others = [q for q in quotes if q.quote_id != won.quote_id]
        later = [await alice.book(quote, f"later-{n}") for n, quote in enumerate(others)]
        assert all(isinstance(booking, pb.Booking) for booking in later), later

    assert (await flights.get(alice.route_id, DATE)).booked_seats == sum(range(1, RACERS + 1))


async def test_a_retry_racing_its_first_try_is_one_booking_counted_once(
    staff: Stub, stub_as: StubAs, domain: Domain, unique: str
) -> None:
    flights, _, _ = domain
    async with alice_on_a_new_flight(staff, stub_as, f"TWIN-{unique}") as alice:
        quote = await alice.quote(3)
        outcomes = await alice.book_at_once([quote] * RACERS, "twin")

    assert all(isinstance(o, pb.Booking) for o in outcomes), outcomes
    assert all(o == outcomes[0] for o in outcomes)
    assert (await flights.get(alice.route_id, DATE)).booked_seats == 3
