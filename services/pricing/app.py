"""Wiring of the pricing service: its buckets, its demand consumer, its sweep, its servicer."""

from datetime import timedelta

from acme.pricing.v1 import pricing_pb2 as pb
from acme.pricing.v1 import pricing_pb2_grpc as pb_grpc
from acme_events.pricing import SOURCE, Application
from nats.aio.client import Client as NatsClient

from accord.access import Access
from accord.events import EventSettings
from accord.provisioning import provision_at_start
from accord.service import Wiring
from services.pricing import demand, handlers
from services.pricing.events import PricingEvents
from services.pricing.flights import ROUTES_BUCKET, Flights
from services.pricing.prices import PRICES_BUCKET, Prices
from services.pricing.quotes import BOOKINGS_BUCKET, QUOTES_BUCKET, Quotes
from services.pricing.seed import seed
from services.pricing.servicer import PricingServiceV1
from services.pricing.settings import PricingSettings
from services.pricing.sweep import Sweeper

NAME = "pricing"
Settings = PricingSettings
# The gRPC services this process serves, by full name: what the gateway routes here.
SERVICES = (pb.DESCRIPTOR.services_by_name["PricingService"].full_name,)


def model(settings: PricingSettings) -> demand.Model:
    return demand.Model(
        target_load=demand.exact(settings.target_load),
        load_weight=demand.exact(settings.load_weight),
        velocity_weight=demand.exact(settings.velocity_weight),
        min_multiplier=demand.exact(settings.min_multiplier),
        max_multiplier=demand.exact(settings.max_multiplier),
        window=timedelta(seconds=settings.window_seconds),
    )


async def build(nc: NatsClient, settings: PricingSettings) -> Wiring:
    # Provision before opening the buckets: the contract declares them and the PRICING stream.
    app = Application(nc, settings=EventSettings(source=SOURCE))
    js = nc.jetstream()
    await provision_at_start(settings, [app.contract])
    events = PricingEvents(app)
    window = timedelta(seconds=settings.window_seconds)
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
    handlers.register(app, flights, prices, window)
    await app.start()
    if settings.seed_demo_routes:
        await seed(flights, prices)
    sweeper = Sweeper(flights, prices, window, settings.reprice_every_seconds)
    sweeper.start()
    servicer = PricingServiceV1(flights, prices, quotes, Access.of(SERVICES[0]))
    return Wiring(
        registrars=[lambda server: pb_grpc.add_PricingServiceServicer_to_server(servicer, server)],
        services=SERVICES,
        # Stopped in reverse: the sweep first, then the consumer (in-flight events finish).
        on_stop=[app.stop, sweeper.stop],
    )
