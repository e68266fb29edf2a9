"""What the pricing service stores, as JSON in its key-value buckets, and how it reads out.

Amounts are whole nanos (ints) of the record's currency; times are UTC.
"""

from datetime import UTC, datetime
from typing import Any

from acme.pricing.v1 import pricing_pb2 as pb
from pydantic import BaseModel, Field

from accord.exactly_once import StepRecord
from accord.money import to_money
from accord.timestamps import timestamp
from services.pricing.demand import Fare, Recent


class FlightRecord(StepRecord):
    """`route.<routeId>.<date>`: the fare staff configured and the seats sold; `pending`
    names the bookings whose seats are counted but whose marker may not be written yet
    (accord.exactly_once)."""

    route_id: str
    date: str
    currency: str
    capacity: int
    base_fare: int
    floor: int
    ceiling: int
    booked_seats: int = 0
    # Before every booking had a durable marker, a flight remembered its last 512 bookings
    # here. Read, never written: a booking it names was counted (see flights.py).
    applied: list[str] = Field(default_factory=list)

    @property
    def fare(self) -> Fare:
        return Fare(self.capacity, self.base_fare, self.floor, self.ceiling)

    @property
    def seats_left(self) -> int:
        return self.capacity - self.booked_seats


class RecentBooking(BaseModel):
    booking_id: str
    seats: int
    booked_at: datetime


class DemandRecord(BaseModel):
    """`demand.<routeId>.<date>`: the bookings the demand consumer has seen lately."""

    # Those still inside the window when the last came, each once (see Flights.record_demand).
    # Records written before kept an `applied` list of booking ids too: ignored when read,
    # dropped when next written.
    recent: list[RecentBooking] = []

    def window(self) -> list[Recent]:
        return [Recent(b.seats, b.booked_at) for b in self.recent]

    @property
    def last_booked_at(self) -> datetime | None:
        return max((b.booked_at for b in self.recent), default=None)


class PriceRecord(BaseModel):
    """`price.<routeId>.<date>`: the current price, the one every channel reads."""

    route_id: str
    date: str
    currency: str
    price: int
    revision: int
    multiplier: float
    load_factor: float
    velocity: float
    changed_at: datetime
    announced: bool = False  # price-changed was published for this revision


class HeldSeats(BaseModel):
    """Seats on one flight held for a customer at a unit price: what a quote offers, and
    what the booking made with it keeps, whatever the price is by then."""

    customer_id: str
    route_id: str
    date: str
    seats: int
    currency: str
    unit_price: int

    @property
    def total_price(self) -> int:
        return self.unit_price * self.seats

    def held_seats(self) -> dict[str, Any]:
        """These fields alone, for a record that holds the same seats."""
        return self.model_dump(include=set(HeldSeats.model_fields))


class QuoteRecord(HeldSeats):
    """`quote.<quoteId>`: a price held for one customer until `expires_at`."""

    quote_id: str
    price_revision: int
    created_at: datetime
    expires_at: datetime
    booking_id: str | None = None  # the booking that used it; a quote is booked once


class BookingRequest(BaseModel):
    """`request.<bookingId>`: the quote the booking's request id was first used with."""

    quote_id: str


class BookingRecord(HeldSeats):
    """`booking.<bookingId>`: seats booked with a quote, at its price."""

    booking_id: str
    request_id: str
    quote_id: str
    booked_at: datetime


def _money(currency: str, nanos: int, field: str) -> pb.Money:
    return to_money(pb.Money, currency, nanos, field)


def now() -> datetime:
    return datetime.now(UTC)


def route_pb(flight: FlightRecord) -> pb.Route:
    return pb.Route(
        route_id=flight.route_id,
        date=flight.date,
        capacity=flight.capacity,
        booked_seats=flight.booked_seats,
        base_fare=_money(flight.currency, flight.base_fare, "flight.base_fare"),
        floor=_money(flight.currency, flight.floor, "flight.floor"),
        ceiling=_money(flight.currency, flight.ceiling, "flight.ceiling"),
    )


def price_pb(record: PriceRecord) -> pb.Price:
    return pb.Price(
        route_id=record.route_id,
        date=record.date,
        price=_money(record.currency, record.price, "price.price"),
        revision=record.revision,
        multiplier=record.multiplier,
        load_factor=record.load_factor,
        velocity=record.velocity,
        change_time=timestamp(record.changed_at),
    )


def _held_seats_pb(held: HeldSeats, name: str) -> dict[str, Any]:
    """The fields a Quote and a Booking share, as both messages name them."""
    return {
        "customer_id": held.customer_id,
        "route_id": held.route_id,
        "date": held.date,
        "seats": held.seats,
        "unit_price": _money(held.currency, held.unit_price, f"{name}.unit_price"),
        "total_price": _money(held.currency, held.total_price, f"{name}.total_price"),
    }


def quote_pb(quote: QuoteRecord) -> pb.Quote:
    return pb.Quote(
        quote_id=quote.quote_id,
        price_revision=quote.price_revision,
        create_time=timestamp(quote.created_at),
        expire_time=timestamp(quote.expires_at),
        **_held_seats_pb(quote, "quote"),
    )


def booking_pb(booking: BookingRecord) -> pb.Booking:
    return pb.Booking(
        booking_id=booking.booking_id,
        request_id=booking.request_id,
        quote_id=booking.quote_id,
        book_time=timestamp(booking.booked_at),
        **_held_seats_pb(booking, "booking"),
    )
