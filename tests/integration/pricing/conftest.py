"""The real pricing service against the session's nats-server, and ways to call it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from typing import TypeAlias

import pytest
from acme.pricing.v1 import pricing_pb2 as pb
from acme.pricing.v1 import pricing_pb2_grpc as pb_grpc
from acme_events.pricing import SOURCE, Application
from joserfc.jwk import OKPKey
from nats.aio.client import Client as NatsClient

from accord.events import EventSettings
from accord.service import RunningService, start_service
from accord.tooling.nats_server import NatsServer
from services.pricing.app import NAME, Settings, build, model
from services.pricing.events import PricingEvents
from services.pricing.flights import ROUTES_BUCKET, Flights
from services.pricing.prices import PRICES_BUCKET, Prices
from services.pricing.quotes import BOOKINGS_BUCKET, QUOTES_BUCKET, Quotes
from tests.integration.orders.conftest import accord_home, gateway_key  # noqa: F401
from tests.support.principals import stubs_as

CUSTOMER_SCOPES = ("pricing:read", "pricing:book")
STAFF_SCOPES = ("pricing:read", "pricing:book", "pricing:admin")
UNIT = 1_000_000_000
# The integration service keeps the settings' defaults but the sweep: tests reprice at
# moments they choose (Sweeper.sweep_once) instead of waiting for the window to pass.
NO_SWEEP = 0.0

Stub: TypeAlias = "pb_grpc.PricingServiceAsyncStub"
StubAs: TypeAlias = Callable[..., AbstractAsyncContextManager["pb_grpc.PricingServiceAsyncStub"]]


@pytest.fixture(scope="session")
async def pricing_service(
    nats_server: NatsServer,
    accord_home: Path,  # noqa: F811
    gateway_key: OKPKey,  # noqa: F811
) -> AsyncIterator[RunningService]:
    settings = Settings(
        port=0, nats_url=nats_server.url, home=accord_home, reprice_every_seconds=NO_SWEEP
    )
    service = await start_service(NAME, settings, build)
    try:
        yield service
    finally:
        await service.stop()


@pytest.fixture
def stub_as(pricing_service: RunningService, gateway_key: OKPKey) -> StubAs:  # noqa: F811
    """`async with stub_as("alice") as pricing:` calls as alice (customer scopes by default)."""

    address = f"127.0.0.1:{pricing_service.port}"
    opener: StubAs = stubs_as(address, gateway_key, pb_grpc.PricingServiceStub, *CUSTOMER_SCOPES)
    return opener


@pytest.fixture
async def staff(stub_as: StubAs) -> AsyncIterator[Stub]:
    async with stub_as("staff", *STAFF_SCOPES) as stub:
        yield stub


def eur(units: int, nanos: int = 0) -> pb.Money:
    return pb.Money(currency_code="EUR", units=units, nanos=nanos)


def nanos_of(amount: pb.Money) -> int:
    return amount.units * UNIT + amount.nanos


DATE = "2026-12-24"


def flight(
    route_id: str, capacity: int = 100, base: int = 100, floor: int = 50, ceiling: int = 300
) -> pb.ConfigureRouteRequest:
    return pb.ConfigureRouteRequest(
        route_id=route_id,
        date=DATE,
        capacity=capacity,
        base_fare=eur(base),
        floor=eur(floor),
        ceiling=eur(ceiling),
    )


async def price_after(stub: Stub, route_id: str, revision: int) -> pb.Price:
    """The flight's price once its revision passed `revision` (the demand consumer reprices
    within milliseconds of a booking; the deadline only bounds a broken run)."""
    async with asyncio.timeout(10):
        while True:
            reply = await stub.GetPrice(pb.GetPriceRequest(route_id=route_id, date=DATE))
            if reply.price.revision > revision:
                return reply.price
            await asyncio.sleep(0.02)


@pytest.fixture
async def domain(
    nats_client: NatsClient, pricing_service: RunningService
) -> tuple[Flights, Prices, Quotes]:
    """The service's own stores on its buckets, to drive them at chosen moments."""
    js = nats_client.jetstream()
    settings = Settings(reprice_every_seconds=NO_SWEEP)
    events = PricingEvents(Application(nats_client, settings=EventSettings(source=SOURCE)))
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
