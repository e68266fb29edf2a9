"""Dynamic pricing through the gateway: bookings raise the price, which stays within its
floor and ceiling; every channel reads the same price; a quote holds its price until it
expires; customers book only with their own quotes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import grpc
import nats
import pytest
from acme.pricing.v1 import pricing_pb2 as pb
from acme.pricing.v1 import pricing_pb2_grpc as pb_grpc
from nats.js.api import ConsumerConfig, DeliverPolicy

from accord.rpc_status import reason_of
from demo.pricing import DATE, book_seats, eur, get_quote, price_after
from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e

WEB = ("pricing:read", "pricing:book")  # a customer's browser session
MOBILE = ("pricing:read",)  # the mobile app's read-only price widget
PARTNER = ("pricing:read", "partner:catalogue")  # a travel agent's integration
STAFF = ("pricing:read", "pricing:admin")
UNIT = 1_000_000_000


def _nanos(amount: pb.Money) -> int:
    return amount.units * UNIT + amount.nanos


def _route(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def _configure(
    platform: Platform,
    route: str,
    capacity: int = 100,
    floor: int = 50,
    ceiling: int = 300,
) -> pb.Price:
    async with platform.channel("staff", *STAFF) as channel:
        reply = await pb_grpc.PricingServiceStub(channel).ConfigureRoute(
            pb.ConfigureRouteRequest(
                route_id=route,
                date=DATE,
                capacity=capacity,
                base_fare=eur(100),
                floor=eur(floor),
                ceiling=eur(ceiling),
            )
        )
    return reply.price


async def test_bookings_raise_the_price(platform: Platform, unique: str) -> None:
    route, alice = _route("UP"), f"alice-{unique}"
    before = await _configure(platform, route)
    async with platform.channel(alice, *WEB) as channel:
        pricing = pb_grpc.PricingServiceStub(channel)
        await book_seats(pricing, alice, await get_quote(pricing, alice, route, 30))
        after = await price_after(pricing, route, before.revision)

    # 0.8 * 100 with no demand; 1 + (0.3 - 0.5) + 2 * 0.3 = 1.4 after 30 of 100 seats.
    assert (_nanos(before.price), _nanos(after.price)) == (80 * UNIT, 140 * UNIT)


async def test_a_price_is_held_at_its_floor_without_demand_and_at_its_ceiling(
    platform: Platform, unique: str
) -> None:
    quiet, busy, bob = _route("FLOOR"), _route("CEIL"), f"bob-{unique}"
    floored = await _configure(platform, quiet, floor=90)
    capped = await _configure(platform, busy, capacity=10, ceiling=120)
    async with platform.channel(bob, *WEB) as channel:
        pricing = pb_grpc.PricingServiceStub(channel)
        await book_seats(pricing, bob, await get_quote(pricing, bob, busy, 8))
        at_ceiling = await price_after(pricing, busy, capped.revision)
        still = (await pricing.GetPrice(pb.GetPriceRequest(route_id=quiet, date=DATE))).price

    assert _nanos(floored.price) == _nanos(still.price) == 90 * UNIT  # 0.8 * 100 is lower
    assert still.revision == floored.revision
    assert _nanos(at_ceiling.price) == 120 * UNIT  # 2.0 * 100 is higher
    assert at_ceiling.multiplier == 2.0


async def test_web_mobile_and_partner_channels_read_the_same_price(
    platform: Platform, unique: str
) -> None:
    route, carol = _route("SAME"), f"carol-{unique}"
    configured = await _configure(platform, route)
    async with platform.channel(carol, *WEB) as channel:
        pricing = pb_grpc.PricingServiceStub(channel)
        await book_seats(pricing, carol, await get_quote(pricing, carol, route, 25))
        await price_after(pricing, route, configured.revision)

    callers = [(carol, WEB), (f"{carol}-phone", MOBILE), (f"partner-{unique}", PARTNER)]
    read = []
    for subject, scopes in callers:
        async with platform.channel(subject, *scopes) as channel:
            reply = await pb_grpc.PricingServiceStub(channel).GetPrice(
                pb.GetPriceRequest(route_id=route, date=DATE)
            )
        read.append((reply.price.price, reply.price.revision))

    assert read[0] == read[1] == read[2]
    # And the latest price-changed event announced exactly that price and revision.
    assert await _last_announced(platform, route) == (_nanos(read[0][0]), read[0][1])


async def _last_announced(platform: Platform, route: str) -> tuple[int, int]:
    nc = await nats.connect(platform.nats_url)
    try:
        sub = await nc.jetstream().subscribe(
            "acme.pricing.v1.price.changed",
            ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        )
        last = (0, 0)
        while True:
            msg = await sub.next_msg(timeout=5)
            body = json.loads(msg.data)
            if body["routeId"] == route:
                price = body["price"]["units"] * UNIT + body["price"]["nanos"]
                last = max(last, (price, body["revision"]), key=lambda seen: seen[1])
            if msg.metadata.num_pending == 0:
                return last
    finally:
        await nc.close()


async def test_a_valid_quote_is_honoured_after_the_price_moved(
    platform: Platform, unique: str
) -> None:
    route, dave, erin = _route("HOLD"), f"dave-{unique}", f"erin-{unique}"
    configured = await _configure(platform, route)
    async with (
        platform.channel(dave, *WEB) as as_dave,
        platform.channel(erin, *WEB) as as_erin,
    ):
        daves, erins = pb_grpc.PricingServiceStub(as_dave), pb_grpc.PricingServiceStub(as_erin)
        held = await get_quote(daves, dave, route, 2)
        await book_seats(erins, erin, await get_quote(erins, erin, route, 40))
        moved = await price_after(daves, route, configured.revision)
        booking = await book_seats(daves, dave, held)

    assert _nanos(moved.price) > _nanos(held.unit_price)
    assert booking.unit_price == held.unit_price
    assert _nanos(booking.total_price) == 2 * _nanos(held.unit_price)


async def test_an_expired_quote_is_refused(platform: Platform, unique: str) -> None:
    route, frank = _route("EXP"), f"frank-{unique}"
    await _configure(platform, route)
    async with platform.channel(frank, *WEB) as channel:
        pricing = pb_grpc.PricingServiceStub(channel)
        quote = await get_quote(pricing, frank, route, 1)
        # Time has to pass here: the quote's own expire time (4 s in tests/e2e/overrides).
        await asyncio.sleep(max(0.0, quote.expire_time.ToNanoseconds() / 1e9 - time.time()) + 0.1)
        with pytest.raises(grpc.aio.AioRpcError) as expired:
            await book_seats(pricing, frank, quote)

    assert expired.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(expired.value) == "QUOTE_EXPIRED"


async def test_customers_book_only_with_their_own_quotes(platform: Platform, unique: str) -> None:
    route, grace, heidi = _route("OWN"), f"grace-{unique}", f"heidi-{unique}"
    await _configure(platform, route)
    async with (
        platform.channel(grace, *WEB) as as_grace,
        platform.channel(heidi, *WEB) as as_heidi,
    ):
        graces, heidis = pb_grpc.PricingServiceStub(as_grace), pb_grpc.PricingServiceStub(as_heidi)
        quote = await get_quote(graces, grace, route, 1)
        with pytest.raises(grpc.aio.AioRpcError) as theirs:
            await book_seats(heidis, heidi, quote)
        with pytest.raises(grpc.aio.AioRpcError) as as_someone_else:
            await book_seats(heidis, grace, quote)
        with pytest.raises(grpc.aio.AioRpcError) as not_staff:
            await heidis.ConfigureRoute(pb.ConfigureRouteRequest(route_id=route, date=DATE))
        booking = await book_seats(graces, grace, quote)

    assert theirs.value.code() == grpc.StatusCode.NOT_FOUND  # as if it did not exist
    assert as_someone_else.value.code() == grpc.StatusCode.PERMISSION_DENIED  # the gateway
    assert not_staff.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert booking.customer_id == grace
