"""Quotes hold a price for a customer until they expire; bookings use them, once each.

Quotes live in `pricing_quotes` (`quote.<quoteId>`), bookings in `pricing_bookings`
(`booking.<bookingId>`, and `request.<bookingId>`: the quote its request named). A booking's
id is derived from the customer and their request id, so a retried BookSeats names the same
booking. Booking moves in steps, each one safe to repeat, so a retry finishes what an
interrupted call left:
1. claim the request id for the quote (create `request.<bookingId>`): the first call to
   name a quote under a request id owns it for good; a call naming another quote under it
   is a reused request id and touches nothing. This comes first so that calls racing with
   one request id and different quotes cannot each claim their quote. The request id stays
   with its quote even when the quote then proves used or expired (a race the check before
   the claim could not see) or its flight sold out: a request id names one request;
2. claim the quote for the booking (compare-and-set on the quote): a quote is booked once;
   only an unclaimed quote is checked for expiry, so a retry of a booking whose quote was
   claimed in time is still honoured after the quote expired;
3. reserve the seats on the flight (once per booking id, forever: `Flights.reserve`; sold
   out gives the quote back, and the request id stays with that quote: its retry may find
   seats later);
4. store the booking, at the quote's unit price, whatever the price is now;
5. publish booking-confirmed (id: the booking id), which feeds the demand model.
A crash between two steps leaves a prefix of them done, each recorded under the booking id:
the retry (same request id, same quote) finds its request claim and its quote claim as its
own, `reserve` sees the booking's seats already counted (its marker, or the flight naming
it pending) and does not count them again, however many bookings came since, and storing
or publishing what is already there changes nothing. So seats are counted once, under the
booking that the request id names. (Until that retry comes, the quote and the seats stay
held: a `request.<bookingId>` without its `booking.<bookingId>` names such an interrupted
booking.)
"""

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from accord import kvjson, kvrecords
from services.pricing.events import PricingEvents
from services.pricing.flights import Flights, SoldOut
from services.pricing.prices import Prices
from services.pricing.records import BookingRecord, BookingRequest, QuoteRecord

QUOTES_BUCKET = "pricing_quotes"
BOOKINGS_BUCKET = "pricing_bookings"


class QuoteNotFound(Exception):
    pass


class QuoteExpired(Exception):
    pass


class QuoteUsed(Exception):
    pass


class RequestConflict(Exception):
    """A request id was reused with another quote."""


def new_quote_id() -> str:
    # Milliseconds since the epoch (12 hex digits), then 64 random bits: unguessable, and
    # ids sort in creation order.
    return f"q{time.time_ns() // 1_000_000:012x}{secrets.token_hex(8)}"


def booking_id_of(customer_id: str, request_id: str) -> str:
    """Derived from who booked and their request id: a retry names the same booking."""
    digest = hashlib.sha256(f"{customer_id}/{request_id}".encode()).hexdigest()
    return f"bk{digest[:24]}"


def claimable(quote: QuoteRecord, customer_id: str, booking_id: str, now: datetime) -> bool:
    """Whether the booking claimed `quote` already; raises when it may not claim it."""
    if quote.customer_id != customer_id:
        raise QuoteNotFound(quote.quote_id)  # someone else's: as if it did not exist
    if quote.booking_id == booking_id:
        return True
    if quote.booking_id is not None:
        raise QuoteUsed(quote.quote_id)
    if now > quote.expires_at:
        raise QuoteExpired(quote.quote_id)
    return False


@dataclass(frozen=True, slots=True)
class Quotes:
    quotes: KeyValue
    bookings: KeyValue
    flights: Flights
    prices: Prices
    events: PricingEvents
    ttl: timedelta

    async def quote(
        self, customer_id: str, route_id: str, date: str, seats: int, now: datetime
    ) -> QuoteRecord:
        """Hold the current stored price (what every channel reads) for `seats` seats."""
        flight = await self.flights.get(route_id, date)
        if flight.seats_left < seats:
            raise SoldOut(flight.seats_left)
        price = await self.prices.get(route_id, date)
        quote = QuoteRecord(
            quote_id=new_quote_id(),
            customer_id=customer_id,
            route_id=route_id,
            date=date,
            seats=seats,
            currency=price.currency,
            unit_price=price.price,
            price_revision=price.revision,
            created_at=now,
            expires_at=now + self.ttl,
        )
        await self.quotes.create(f"quote.{quote.quote_id}", quote.model_dump_json().encode())
        return quote

    async def book(
        self, customer_id: str, quote_id: str, request_id: str, now: datetime
    ) -> BookingRecord:
        booking_id = booking_id_of(customer_id, request_id)
        existing = await self._booking(booking_id)
        if existing is not None:
            if existing.quote_id != quote_id:
                raise RequestConflict(request_id)
            await self.events.booking_confirmed(existing)  # repairs a lost publish
            return existing
        # Refuse a quote that cannot be booked before it takes the request id (no write).
        quote, _ = await self._quote(quote_id)
        claimable(quote, customer_id, booking_id, now)
        await self._claim_request(booking_id, quote_id, request_id)
        quote = await self._claim(customer_id, quote_id, booking_id, now)
        try:
            await self.flights.reserve(quote.route_id, quote.date, booking_id, quote.seats)
        except SoldOut:
            await self._release(quote_id, booking_id)
            raise
        booking = BookingRecord(
            booking_id=booking_id,
            request_id=request_id,
            quote_id=quote_id,
            booked_at=now,
            **quote.held_seats(),  # at the quote's price, whatever the price is now
        )
        try:
            await self.bookings.create(f"booking.{booking_id}", booking.model_dump_json().encode())
        except KeyWrongLastSequenceError:
            stored = await self._booking(booking_id)  # a concurrent retry stored it first
            assert stored is not None
            booking = stored
        await self.events.booking_confirmed(booking)
        return booking

    async def _claim_request(self, booking_id: str, quote_id: str, request_id: str) -> None:
        """Step 1: the request id names this quote, now (created) or since an earlier try."""
        key, claim = f"request.{booking_id}", BookingRequest(quote_id=quote_id)
        if await kvrecords.create(self.bookings, key, claim.model_dump_json().encode()) is not None:
            return
        first = await kvjson.read(self.bookings, key, BookingRequest)  # claims are never deleted
        if first is None or first[0].quote_id != quote_id:
            raise RequestConflict(request_id)

    async def _claim(
        self, customer_id: str, quote_id: str, booking_id: str, now: datetime
    ) -> QuoteRecord:
        while True:
            quote, revision = await self._quote(quote_id)
            if claimable(quote, customer_id, booking_id, now):
                return quote  # claimed by an earlier try of this very booking
            quote.booking_id = booking_id
            if await kvjson.replace(self.quotes, f"quote.{quote_id}", quote, revision):
                return quote

    async def _release(self, quote_id: str, booking_id: str) -> None:
        """Give a claimed quote back (its seats were gone), so the customer may retry it."""
        while True:
            quote, revision = await self._quote(quote_id)
            if quote.booking_id != booking_id:
                return
            quote.booking_id = None
            if await kvjson.replace(self.quotes, f"quote.{quote_id}", quote, revision):
                return

    async def _quote(self, quote_id: str) -> tuple[QuoteRecord, int]:
        found = await kvjson.read(self.quotes, f"quote.{quote_id}", QuoteRecord)
        if found is None:
            raise QuoteNotFound(quote_id)
        return found

    async def _booking(self, booking_id: str) -> BookingRecord | None:
        found = await kvjson.read(self.bookings, f"booking.{booking_id}", BookingRecord)
        return found[0] if found is not None else None
