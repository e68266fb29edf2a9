"""What pricing publishes: booking-confirmed and price-changed, each with a derived id.

- booking-confirmed: the id is the booking id (itself derived from the customer and their
  request id), published again when BookSeats is retried; JetStream's duplicate window and
  the demand consumer (idempotent on the booking id) make the repeat harmless.
- price-changed: the id is `price.<routeId>.<date>.<revision>`: one event per revision of
  a flight's price, whoever computes it and however often.
"""

from dataclasses import dataclass
from datetime import date

from acme_events.pricing import Application
from acme_events.pricing.messages.json import BookingConfirmedPayload, Money, PriceChangedPayload

from accord.money import event_money
from services.pricing.records import BookingRecord, PriceRecord


def price_event_id(record: PriceRecord) -> str:
    return f"price.{record.route_id}.{record.date}.{record.revision}"


@dataclass(frozen=True, slots=True)
class PricingEvents:
    app: Application

    async def booking_confirmed(self, booking: BookingRecord) -> None:
        payload = BookingConfirmedPayload(
            booking_id=booking.booking_id,
            customer_id=booking.customer_id,
            quote_id=booking.quote_id,
            route_id=booking.route_id,
            date=date.fromisoformat(booking.date),
            seats=booking.seats,
            unit_price=event_money(Money, booking.currency, booking.unit_price),
            booked_at=booking.booked_at,
        )
        await self.app.producer.send_booking_confirmed(
            payload, event_id=booking.booking_id, time=booking.booked_at
        )

    async def price_changed(self, record: PriceRecord) -> None:
        payload = PriceChangedPayload(
            route_id=record.route_id,
            date=date.fromisoformat(record.date),
            price=event_money(Money, record.currency, record.price),
            revision=record.revision,
            multiplier=record.multiplier,
            load_factor=record.load_factor,
            velocity=record.velocity,
            changed_at=record.changed_at,
        )
        await self.app.producer.send_price_changed(
            payload, event_id=price_event_id(record), time=record.changed_at
        )
