"""Dynamic pricing: bookings raise a flight's fare up to its ceiling, every channel reads the
same price, and a quote keeps its price after the fare moved."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from acme.pricing.v1 import pricing_pb2 as pb
from acme.pricing.v1 import pricing_pb2_grpc as pb_grpc

from accord.tooling.examples import staff_scopes
from demo.journeys import Demo
from demo.timeline import Timeline

STAFF = staff_scopes()  # the revenue desk, from the contracts' policies
WEB = ("pricing:read", "pricing:book")
CHANNELS = {  # who reads the fare, with the scopes each channel's token carries
    "web": WEB,
    "mobile": ("pricing:read",),
    "partner": ("pricing:read", "partner:catalogue"),
}
DATE = "2026-12-24"


def eur(units: int) -> pb.Money:
    return pb.Money(currency_code="EUR", units=units)


def _shown(amount: pb.Money) -> str:
    return f"{amount.units}.{amount.nanos // 10_000_000:02d} {amount.currency_code}"


# A customer's calls, as the journey makes them (the end-to-end pricing tests make them too).


async def price_after(
    pricing: pb_grpc.PricingServiceAsyncStub, route: str, revision: int
) -> pb.Price:
    """The fare once the demand model repriced it (milliseconds after a booking)."""
    async with asyncio.timeout(10):
        while True:
            price = (await pricing.GetPrice(pb.GetPriceRequest(route_id=route, date=DATE))).price
            if price.revision > revision:
                return price
            await asyncio.sleep(0.02)


async def get_quote(
    pricing: pb_grpc.PricingServiceAsyncStub, customer: str, route: str, seats: int
) -> pb.Quote:
    request = pb.GetQuoteRequest(customer_id=customer, route_id=route, date=DATE, seats=seats)
    return (await pricing.GetQuote(request)).quote


async def book_seats(
    pricing: pb_grpc.PricingServiceAsyncStub, customer: str, quote: pb.Quote
) -> pb.Booking:
    request = pb.BookSeatsRequest(
        customer_id=customer, quote_id=quote.quote_id, request_id=uuid.uuid4().hex
    )
    return (await pricing.BookSeats(request)).booking


def _describe(price: pb.Price) -> str:
    return (
        f"{_shown(price.price)} (revision {price.revision}, load {price.load_factor:.0%}, "
        f"velocity {price.velocity:.0%}, x{price.multiplier:.2f})"
    )


async def dynamic_pricing(demo: Demo, timeline: Timeline) -> None:
    route = f"LIS-OPO-{demo.run_id}"
    ana, bruno, carla = demo.customer("ana"), demo.customer("bruno"), demo.customer("carla")
    timeline.follow(ana, bruno, carla)
    async with demo.channel("staff", *STAFF) as as_staff:
        configured = await pb_grpc.PricingServiceStub(as_staff).ConfigureRoute(
            pb.ConfigureRouteRequest(
                route_id=route,
                date=DATE,
                capacity=20,
                base_fare=eur(89),
                floor=eur(79),
                ceiling=eur(149),
            )
        )
    price = configured.price
    timeline.note("gateway", f"staff configure {route} {DATE}: 20 seats, 89 EUR, 79..149 EUR")
    timeline.note("pricing", f"fare with no demand: {_describe(price)}")
    if price.price == configured.route.floor:
        timeline.note("pricing", "0.80 x 89 EUR is below the floor: the fare is held at 79 EUR")

    async with (
        demo.channel(ana, *WEB) as as_ana,
        demo.channel(bruno, *WEB) as as_bruno,
        demo.channel(carla, *WEB) as as_carla,
    ):
        anas = pb_grpc.PricingServiceStub(as_ana)
        held = await get_quote(anas, ana, route, 2)
        timeline.note("gateway", f"ana quotes 2 seats at {_shown(held.unit_price)} each")
        for name, customer, channel, seats in (
            ("bruno", bruno, as_bruno, 6),
            ("carla", carla, as_carla, 8),
        ):
            pricing = pb_grpc.PricingServiceStub(channel)
            booking = await book_seats(
                pricing, customer, await get_quote(pricing, customer, route, seats)
            )
            timeline.note(
                "gateway", f"{name} books {seats} seats at {_shown(booking.unit_price)} each"
            )
            price = await price_after(pricing, route, price.revision)
            timeline.note("pricing", f"fare now {_describe(price)}")
        if price.price == configured.route.ceiling:
            timeline.note("pricing", "the fare is held at its ceiling")

        for channel_name, scopes in CHANNELS.items():
            async with demo.channel(f"{channel_name}-reader", *scopes) as channel:
                read = await pb_grpc.PricingServiceStub(channel).GetPrice(
                    pb.GetPriceRequest(route_id=route, date=DATE)
                )
            timeline.note(
                "gateway",
                f"{channel_name} reads {_shown(read.price.price)}, revision {read.price.revision}",
            )

        booking = await book_seats(anas, ana, held)
        timeline.note(
            "gateway",
            f"ana books with her quote: 2 seats at {_shown(booking.unit_price)} each "
            f"(the fare is {_shown(price.price)})",
        )


JOURNEYS: list[tuple[str, Callable[[Demo, Timeline], Awaitable[None]]]] = [
    ("Pricing: bookings raise the fare to its ceiling; a quote keeps its price", dynamic_pricing),
]
