"""The demand consumer: each booking-confirmed event counts in its flight's demand, once,
then the flight is repriced. Both steps are idempotent (a booking is in the window once;
a reprice of unchanged demand stores nothing), so a redelivered event changes nothing. A
handler that raises is retried with the contract's backoff, then dead-lettered.
"""

from datetime import timedelta

from acme_events.pricing import Application
from acme_events.pricing.messages.json import BookingConfirmedPayload

from accord.events import EventContext
from services.pricing.flights import Flights
from services.pricing.prices import Prices
from services.pricing.records import RecentBooking, now


def register(app: Application, flights: Flights, prices: Prices, window: timedelta) -> None:
    @app.consumer.receive_booking_confirmed
    async def count_booking(payload: BookingConfirmedPayload, event: EventContext) -> None:
        route_id, date = payload.route_id, payload.date.isoformat()
        booking = RecentBooking(
            booking_id=payload.booking_id, seats=payload.seats, booked_at=payload.booked_at
        )
        await flights.record_demand(route_id, date, booking, window)
        await prices.reprice(route_id, date, now())
