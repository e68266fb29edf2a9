"""The real pricing service against the session's nats-server, and ways to call it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TypeAlias

import pytest
from acme.pricing.v1 import pricing_pb2 as pb
from acme.pricing.v1 import pricing_pb2_grpc as pb_grpc
from acme_events.pricing import SOURCE, Application
from nats.aio.client import Client as NatsClient

from accord.events import EventSettings
from accord.service import RunningService
from services.pricing.app import SERVICE, stores
from services.pricing.flights import Flights
from services.pricing.prices import Prices
from services.pricing.quotes import Quotes
from tests.support.running import caller, callers, service_fixture

CUSTOMER_SCOPES = ("pricing:read", "pricing:book")
STAFF_SCOPES = ("pricing:read", "pricing:book", "pricing:admin")
UNIT = 1_000_000_000
# The integration service keeps the settings' defaults but the sweep: tests reprice at
# moments they choose (Sweeper.sweep_once) instead of waiting for the window to pass.
NO_SWEEP = 0.0

Stub: TypeAlias = "pb_grpc.PricingServiceAsyncStub"
StubAs: TypeAlias = Callable[..., AbstractAsyncContextManager["pb_grpc.PricingServiceAsyncStub"]]


pricing_service = service_fixture(SERVICE, reprice_every_seconds=NO_SWEEP)
# `async with stub_as("alice") as pricing:` calls as alice (customer scopes by default).
stub_as = callers("pricing_service", pb_grpc.PricingServiceStub, *CUSTOMER_SCOPES)
staff = caller("staff", *STAFF_SCOPES)


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
    settings = SERVICE.settings(reprice_every_seconds=NO_SWEEP)
    app = Application(nats_client, settings=EventSettings(source=SOURCE))
    return await stores(nats_client.jetstream(), settings, app)
