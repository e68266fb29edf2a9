"""The pricing service as the platform runs it (accord.skeleton): flights, prices, quotes,
the demand consumer and the repricing sweep."""

from datetime import timedelta

from acme.pricing.v1 import pricing_pb2 as pb
from acme.pricing.v1 import pricing_pb2_grpc as pb_grpc
from acme_events.pricing import Application
from nats.js import JetStreamContext

from accord.skeleton import Api, Parts, Service
from services.pricing import demand, handlers
from services.pricing.events import PricingEvents
from services.pricing.flights import ROUTES_BUCKET, Flights
from services.pricing.prices import PRICES_BUCKET, Prices
from services.pricing.quotes import BOOKINGS_BUCKET, QUOTES_BUCKET, Quotes
from services.pricing.seed import seed
from services.pricing.servicer import PricingServiceV1
from services.pricing.settings import PricingSettings
from services.pricing.sweep import Sweeper

API = Api.named("PricingService", pb, pb_grpc)


def model(settings: PricingSettings) -> demand.Model:
    return demand.Model(
        target_load=demand.exact(settings.target_load),
        load_weight=demand.exact(settings.load_weight),
        velocity_weight=demand.exact(settings.velocity_weight),
        min_multiplier=demand.exact(settings.min_multiplier),
        max_multiplier=demand.exact(settings.max_multiplier),
        window=timedelta(seconds=settings.window_seconds),
    )


async def stores(
    js: JetStreamContext, settings: PricingSettings, app: Application
) -> tuple[Flights, Prices, Quotes]:
    """Flights, their prices and quotes, on the contract's buckets."""
    events = PricingEvents(app)
    flights = Flights(await js.key_value(ROUTES_BUCKET))
    prices = Prices(await js.key_value(PRICES_BUCKET), flights, model(settings), events)
    quotes = Quotes(
        await js.key_value(QUOTES_BUCKET),
        await js.key_value(BOOKINGS_BUCKET),
        flights,
        prices,
        events,
        timedelta(seconds=settings.quote_ttl_seconds),
    )
    return flights, prices, quotes


async def assemble(parts: Parts[PricingSettings, Application]) -> list[object]:
    settings = parts.settings
    window = timedelta(seconds=settings.window_seconds)
    flights, prices, quotes = await stores(parts.js, settings, parts.events)
    handlers.register(parts.events, flights, prices, window)
    sweeper = Sweeper(flights, prices, window, settings.reprice_every_seconds)

    async def seed_and_sweep() -> None:
        if settings.seed_demo_routes:
            await seed(flights, prices)
        sweeper.start()

    parts.after_start(seed_and_sweep)
    parts.on_stop(sweeper.stop, before_events=True)
    return [PricingServiceV1(flights, prices, quotes, parts.access())]


SERVICE = Service("pricing", PricingSettings, (API,), Application, assemble)
