"""The demo flights, configured at start when absent (a restart changes nothing): enough
for `make demo` and for trying GetPrice by hand. Amounts are whole euros."""

from accord.money import NANOS_PER_UNIT
from services.pricing.flights import Flights
from services.pricing.prices import Prices
from services.pricing.records import FlightRecord, now

# (route, date, capacity, base fare, floor, ceiling)
DEMO_FLIGHTS = (
    ("LIS-OPO", "2026-12-24", 180, 89, 49, 249),
    ("LIS-MAD", "2026-12-24", 150, 120, 70, 320),
    ("OPO-LHR", "2026-12-31", 200, 140, 90, 390),
)


async def seed(flights: Flights, prices: Prices) -> None:
    for route_id, date, capacity, base, floor, ceiling in DEMO_FLIGHTS:
        wanted = FlightRecord(
            route_id=route_id,
            date=date,
            currency="EUR",
            capacity=capacity,
            base_fare=base * NANOS_PER_UNIT,
            floor=floor * NANOS_PER_UNIT,
            ceiling=ceiling * NANOS_PER_UNIT,
        )
        await flights.configure(wanted, only_if_absent=True)
        await prices.reprice(route_id, date, now())
