"""The four engagement scenarios of issue 6, end to end through the gateway: from the call
(or device event) that sets each one off until the customer-facing result appears on NATS.

1. marketing: the TrackEvents response whose 4th click crosses the threshold → the
   recommendation email on notifications' outbox subject. The email is held `settle_seconds`
   on purpose (an opt-out until then still stops it); the default settings are kept, and the
   settle time is reported alongside, with the latency beyond it.
2. support: the ReportError response → the notice on the customer's in-app subject (monitor,
   support and notifications in between, the monitor calling through the gateway).
3. pricing: the BookSeats response → price.changed for that flight with a newer revision.
4. devices: the PubAck of a thermostat's third day of the same adjustment (raw JetStream
   publish, as a device does) → the suggestion's notice on the owner's in-app subject.

Every sample uses fresh ids (customer, route, device), prepared before the timed phase;
samples start at a fixed moderate rate, the outcome is awaited with a core NATS subscription
opened before, and the arrival is timed in its callback. The platform is started as
`make run` starts it (every service and the gateway, each its own process, on an embedded
nats-server, ACCORD_HOME in a temporary directory). The baseline, measured in the same run
against the same processes, is one unary GetPrice round trip through the gateway: each
latency is reported in milliseconds and as a multiple of that call's p50. Numbers are
reported, never asserted. JSON goes to bench/results/engagement.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from typing import Any, TypeVar

import grpc
import nats
from acme.devices.v1 import devices_pb2 as dev
from acme.devices.v1 import devices_pb2_grpc as dev_grpc
from acme.marketing.v1 import marketing_pb2 as mk
from acme.marketing.v1 import marketing_pb2_grpc as mk_grpc
from acme.monitor.v1 import monitor_pb2 as mon
from acme.monitor.v1 import monitor_pb2_grpc as mon_grpc
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from acme.pricing.v1 import pricing_pb2 as pr
from acme.pricing.v1 import pricing_pb2_grpc as pr_grpc
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from accord.nats_auth import DEVELOPER, development_password
from accord.settings import CommonSettings
from accord.tooling import devkeys
from bench._common import machine, percentile, running_platform
from services.devices import claims
from services.marketing.settings import MarketingSettings

T = TypeVar("T")
RESULTS = Path("bench/results/engagement.json")
OUTBOX = "acme.notifications.v1.email.outbox"
VERIFICATION = "acme.notifications.v1.email.verification"
IN_APP = "acme.notifications.v1.inapp.>"
PRICE_CHANGED = "acme.pricing.v1.price.changed"
ADJUSTED = "acme.devices.v1.thermostat.adjusted"  # the event type
DEVICES_DURABLE = "devices-device-adjusted"
SHOPPER = ("marketing:track", "marketing:write", "notifications:write")
REPORTER = ("monitor:report",)
TRAVELLER = ("pricing:read", "pricing:book")
STAFF = ("pricing:admin",)
OWNER = ("devices:write",)
FLIGHT_DATE = "2026-12-24"
CET = timezone(timedelta(hours=1))
CALL_TIMEOUT_S = 20.0
ARRIVAL_TIMEOUT_S = 30.0  # a bound for a broken run: a sample still missing then is counted
PREPARE_IN_FLIGHT = 8


class Arrivals:
    """One core NATS subscription; `expect(key)` is a future set to the perf_counter time
    at which the first message whose payload has that key (and passes `accept`) arrived."""

    def __init__(self, key_of: Callable[[dict[str, Any]], str]) -> None:
        self._key_of = key_of
        self._waiting: dict[str, tuple[asyncio.Future[float], Callable[[dict[str, Any]], bool]]]
        self._waiting = {}

    async def subscribe(self, nc: NatsClient, subject: str) -> None:
        await nc.subscribe(subject, cb=self._arrived)

    def expect(
        self, key: str, accept: Callable[[dict[str, Any]], bool] = lambda payload: True
    ) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[key] = (future, accept)
        return future

    async def _arrived(self, msg: Msg) -> None:
        arrived = time.perf_counter()
        payload = json.loads(msg.data)
        waiting = self._waiting.get(self._key_of(payload))
        if waiting is not None and not waiting[0].done() and waiting[1](payload):
            waiting[0].set_result(arrived)


class Codes:
    """Verification codes as the email outbox gets them, by customer: what the shopper reads
    in the mail to prove their address."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[str]] = {}

    async def subscribe(self, nc: NatsClient) -> None:
        await nc.subscribe(VERIFICATION, cb=self._arrived)

    def expect(self, customer: str) -> asyncio.Future[str]:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting[customer] = future
        return future

    async def _arrived(self, msg: Msg) -> None:
        payload = json.loads(msg.data)
        waiting = self._waiting.get(str(payload.get("customerId")))
        if waiting is not None and not waiting.done():
            waiting.set_result(str(payload["code"]))


@dataclass
class Gateway:
    """One channel to the gateway; each call carries the token of its own subject."""

    channel: grpc.aio.Channel
    home: Path
    tokens: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def as_(self, subject: str, scopes: Iterable[str]) -> list[tuple[str, str]]:
        """Call metadata for `subject`: minted once (with these scopes) and reused, so the
        gateway verifies each token once, during the untimed preparation."""
        if subject not in self.tokens:
            token = devkeys.mint_token(subject, scopes, home=self.home)
            self.tokens[subject] = [("authorization", f"Bearer {token}")]
        return self.tokens[subject]

    def call_options(self, subject: str, scopes: Iterable[str]) -> dict[str, Any]:
        """A call's metadata (as `subject`) and its deadline."""
        return {"metadata": self.as_(subject, scopes), "timeout": CALL_TIMEOUT_S}


def _fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Scenario:
    """A scenario's samples: `prepare` makes one (untimed); `fire` sets it off and returns
    the perf_counter time from which it is measured, and the future of its outcome."""

    name = ""

    async def prepare(self) -> Any:
        raise NotImplementedError

    async def fire(self, sample: Any) -> tuple[float, asyncio.Future[float]]:
        raise NotImplementedError

    async def ready(self) -> None:
        """After every sample is prepared, before any is fired."""


class Marketing(Scenario):
    """A shopper with an email address and consent; 4 clicks on one shoe cross the
    threshold (3 points each: 12, over 10; tests/e2e/test_marketing.py)."""

    name = "marketing"

    def __init__(self, gateway: Gateway, outbox: Arrivals, codes: Codes) -> None:
        self._gateway = gateway
        self._marketing = mk_grpc.MarketingServiceStub(gateway.channel)
        self._notifications = notes_grpc.NotificationServiceStub(gateway.channel)
        self._outbox = outbox
        self._codes = codes

    async def prepare(self) -> str:
        customer = _fresh("shopper")
        metadata = self._gateway.as_(customer, SHOPPER)
        code = self._codes.expect(customer)
        await self._notifications.SetPreferences(
            notes.SetPreferencesRequest(customer_id=customer, email=f"{customer}@example.com"),
            metadata=metadata,
            timeout=CALL_TIMEOUT_S,
        )
        await self._notifications.VerifyEmail(
            notes.VerifyEmailRequest(
                customer_id=customer, code=await asyncio.wait_for(code, CALL_TIMEOUT_S)
            ),
            metadata=metadata,
            timeout=CALL_TIMEOUT_S,
        )
        await self._marketing.SetConsent(
            mk.SetConsentRequest(customer_id=customer, status=mk.CONSENT_STATUS_OPTED_IN),
            metadata=metadata,
            timeout=CALL_TIMEOUT_S,
        )
        return customer

    async def fire(self, sample: Any) -> tuple[float, asyncio.Future[float]]:
        customer = str(sample)
        emailed = self._outbox.expect(customer)
        clicks = [
            mk.TrackEventsRequest(
                customer_id=customer,
                event_id=uuid.uuid4().hex,
                kind=mk.BROWSING_EVENT_KIND_CLICK,
                sku="SKU-TRAIL-SHOE",
            )
            for _ in range(4)
        ]
        tracked = await self._marketing.TrackEvents(
            iter(clicks), **self._gateway.call_options(customer, SHOPPER)
        )
        if tracked.accepted_count != len(clicks):
            raise RuntimeError(f"TrackEvents accepted {tracked.accepted_count} of 4")
        return time.perf_counter(), emailed


class Support(Scenario):
    """A customer whose app reports an error: the monitor opens a ticket and tells them."""

    name = "support"

    def __init__(self, gateway: Gateway, in_app: Arrivals) -> None:
        self._gateway = gateway
        self._monitor = mon_grpc.ErrorMonitorServiceStub(gateway.channel)
        self._in_app = in_app

    async def prepare(self) -> str:
        customer = _fresh("reporter")
        self._gateway.as_(customer, REPORTER)
        return customer

    async def fire(self, sample: Any) -> tuple[float, asyncio.Future[float]]:
        customer = str(sample)
        noticed = self._in_app.expect(customer)
        await self._monitor.ReportError(
            mon.ReportErrorRequest(
                report_id=uuid.uuid4().hex,
                customer_id=customer,
                application="checkout-web",
                error_code="PAYMENT_DECLINED",
                message="Card 4242 declined for order 17",
            ),
            **self._gateway.call_options(customer, REPORTER),
        )
        return time.perf_counter(), noticed


@dataclass(frozen=True)
class Flight:
    route: str
    customer: str
    quote_id: str
    revision: int


class Pricing(Scenario):
    """A flight of its own (configured by staff) and a customer's quote for 30 of its 100
    seats: the booking moves the multiplier from its 0.8 floor to 1.4 (load 0.3 and velocity
    0.3, services/pricing/demand.py), so the demand consumer announces a new price. (A
    booking too small to lift the multiplier off the floor changes no price: no event.)"""

    name = "pricing"

    def __init__(self, gateway: Gateway, changed: Arrivals) -> None:
        self._gateway = gateway
        self._pricing = pr_grpc.PricingServiceStub(gateway.channel)
        self._changed = changed

    async def configure(self) -> tuple[str, int]:
        route = _fresh("BENCH")
        eur = "EUR"
        configured = await self._pricing.ConfigureRoute(
            pr.ConfigureRouteRequest(
                route_id=route,
                date=FLIGHT_DATE,
                capacity=100,
                base_fare=pr.Money(currency_code=eur, units=100),
                floor=pr.Money(currency_code=eur, units=50),
                ceiling=pr.Money(currency_code=eur, units=300),
            ),
            **self._gateway.call_options("bench-staff", STAFF),
        )
        return route, configured.price.revision

    async def prepare(self) -> Flight:
        route, revision = await self.configure()
        customer = _fresh("traveller")
        quoted = await self._pricing.GetQuote(
            pr.GetQuoteRequest(customer_id=customer, route_id=route, date=FLIGHT_DATE, seats=30),
            **self._gateway.call_options(customer, TRAVELLER),
        )
        return Flight(route, customer, quoted.quote.quote_id, revision)

    async def fire(self, sample: Any) -> tuple[float, asyncio.Future[float]]:
        flight: Flight = sample
        repriced = self._changed.expect(
            flight.route, lambda payload: int(payload["revision"]) > flight.revision
        )
        await self._pricing.BookSeats(
            pr.BookSeatsRequest(
                customer_id=flight.customer, quote_id=flight.quote_id, request_id=uuid.uuid4().hex
            ),
            **self._gateway.call_options(flight.customer, TRAVELLER),
        )
        return time.perf_counter(), repriced


@dataclass(frozen=True)
class Thermostat:
    owner: str
    device: str


class Devices(Scenario):
    """A registered thermostat turned to 21 °C around 07:00 three and two days ago (both
    handled before the timed phase); the sample is yesterday's same adjustment, the third
    day, which makes the habit a suggestion (tests/e2e/test_devices.py)."""

    name = "devices"

    def __init__(self, gateway: Gateway, nc: NatsClient, in_app: Arrivals) -> None:
        self._gateway = gateway
        self._devices = dev_grpc.DeviceServiceStub(gateway.channel)
        self._nc = nc
        self._in_app = in_app
        self._last_sequence = 0

    async def _report(self, device: str, days_ago: int) -> int:
        at = datetime.combine(date.today() - timedelta(days=days_ago), clock_time(7), CET)
        stamp = at.isoformat()
        event_id = f"{device}.{stamp}"
        body = {"deviceId": device, "setpointCelsius": 21.0, "occurredAt": stamp, "mode": "MANUAL"}
        headers = {
            "ce-id": event_id,
            "ce-source": f"/acme/thermostat/{device}",
            "ce-type": ADJUSTED,
            "ce-time": stamp,
            "ce-specversion": "1.0",
            "content-type": "application/json",
            "Nats-Msg-Id": event_id,
        }
        ack = await self._nc.jetstream().publish(
            f"acme.devices.v1.device.{device}.adjusted", json.dumps(body).encode(), headers=headers
        )
        return int(ack.seq)

    async def prepare(self) -> Thermostat:
        owner, device = _fresh("owner"), _fresh("hall")
        key = claims.development_claim_key(CommonSettings(home=self._gateway.home))
        await self._devices.RegisterDevice(
            dev.RegisterDeviceRequest(
                owner_id=owner,
                device_id=device,
                display_name="Hall",
                claim_code=claims.claim_code(key, device),
            ),
            **self._gateway.call_options(owner, OWNER),
        )
        for days_ago in (3, 2):
            sequence = await self._report(device, days_ago)
            self._last_sequence = max(self._last_sequence, sequence)
        return Thermostat(owner, device)

    async def ready(self) -> None:
        """Until the devices consumer has settled every report published so far."""
        deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
        while time.monotonic() < deadline:
            info = await self._nc.jetstream().consumer_info("DEVICES", DEVICES_DURABLE)
            if info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= (
                self._last_sequence
            ):
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("the devices consumer never caught up with the first two days")

    async def fire(self, sample: Any) -> tuple[float, asyncio.Future[float]]:
        thermostat: Thermostat = sample
        noticed = self._in_app.expect(thermostat.owner)
        await self._report(thermostat.device, 1)
        return time.perf_counter(), noticed


@dataclass
class Measured:
    latencies: list[float]
    missing: int


async def _bounded(count: int, make: Callable[[], Awaitable[Any]]) -> list[Any]:
    gate = asyncio.Semaphore(PREPARE_IN_FLIGHT)

    async def one() -> Any:
        async with gate:
            return await make()

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def _at_rate(
    rate: float, count: int, run: Callable[[int], Coroutine[Any, Any, T]]
) -> list[T]:
    """Start `run(i)` every 1/rate seconds (open loop), whatever the earlier ones do."""
    tasks: list[asyncio.Task[T]] = []
    started = time.perf_counter()
    for index in range(count):
        tasks.append(asyncio.create_task(run(index)))
        await asyncio.sleep(max(0.0, started + (index + 1) / rate - time.perf_counter()))
    return list(await asyncio.gather(*tasks))


async def _measure(scenario: Scenario, rate: float, seconds: float) -> Measured:
    samples = await _bounded(int(rate * seconds) + 1, scenario.prepare)
    await scenario.ready()
    warm, samples = samples[0], samples[1:]
    _, outcome = await scenario.fire(warm)  # warm every path once, untimed
    try:
        await asyncio.wait_for(outcome, ARRIVAL_TIMEOUT_S)
    except TimeoutError:
        raise RuntimeError(f"{scenario.name}: the warm-up sample never arrived") from None

    async def one(index: int) -> float | None:
        start, outcome = await scenario.fire(samples[index])
        try:
            return await asyncio.wait_for(outcome, ARRIVAL_TIMEOUT_S) - start
        except TimeoutError:
            return None

    results = await _at_rate(rate, len(samples), one)
    latencies = sorted(r for r in results if r is not None)
    return Measured(latencies, len(results) - len(latencies))


async def _baseline(gateway: Gateway, route: str, rate: float, seconds: float) -> list[float]:
    pricing = pr_grpc.PricingServiceStub(gateway.channel)
    request = pr.GetPriceRequest(route_id=route, date=FLIGHT_DATE)
    metadata = gateway.as_("bench-reader", ("pricing:read",))
    await pricing.GetPrice(request, metadata=metadata, timeout=CALL_TIMEOUT_S)  # warm

    async def one(index: int) -> float:
        started = time.perf_counter()
        await pricing.GetPrice(request, metadata=metadata, timeout=CALL_TIMEOUT_S)
        return time.perf_counter() - started

    return sorted(await _at_rate(rate, int(rate * seconds), one))


@contextlib.asynccontextmanager
async def _platform() -> AsyncIterator[tuple[Gateway, NatsClient]]:
    async with running_platform("accord-engagement-") as platform:
        # The developer's identity (development only): the bench reports as thermostats
        # and reads what consumers settled.
        settings = CommonSettings(ACCORD_HOME=platform.home, ACCORD_MODE="development")
        password = development_password(settings, DEVELOPER)
        nc = await nats.connect(platform.nats_url, user=DEVELOPER, password=password)
        try:
            async with grpc.aio.insecure_channel(platform.gateway) as channel:
                yield Gateway(channel, platform.home), nc
        finally:
            await nc.close()


def _figures(name: str, measured: Measured, base_p50: float) -> dict[str, Any]:
    if not measured.latencies:
        return {f"{name}_samples": 0, f"{name}_missing": measured.missing}
    p50 = percentile(measured.latencies, 0.5)
    p99 = percentile(measured.latencies, 0.99)
    return {
        f"{name}_samples": len(measured.latencies),
        f"{name}_missing": measured.missing,
        f"{name}_p50_ms": round(p50 * 1000, 1),
        f"{name}_p99_ms": round(p99 * 1000, 1),
        f"{name}_p50_in_baselines": round(p50 / base_p50, 1),
        f"{name}_p99_in_baselines": round(p99 / base_p50, 1),
        f"{name}_each_ms": [round(latency * 1000, 1) for latency in measured.latencies],
    }


async def bench(rate: float, seconds: float) -> dict[str, Any]:
    settle = MarketingSettings().settle_seconds
    async with _platform() as (gateway, nc):
        outbox = Arrivals(lambda payload: str(payload.get("customerId")))
        in_app = Arrivals(lambda payload: str(payload.get("customerId")))
        changed = Arrivals(lambda payload: str(payload.get("routeId")))
        await outbox.subscribe(nc, OUTBOX)
        codes = Codes()
        await codes.subscribe(nc)
        await in_app.subscribe(nc, IN_APP)
        await changed.subscribe(nc, PRICE_CHANGED)
        pricing = Pricing(gateway, changed)
        scenarios: list[Scenario] = [
            Marketing(gateway, outbox, codes),
            Support(gateway, in_app),
            pricing,
            Devices(gateway, nc, in_app),
        ]
        measured = {s.name: await _measure(s, rate, seconds) for s in scenarios}
        route, _ = await pricing.configure()
        baseline = await _baseline(gateway, route, rate * 4, seconds)
    base_p50 = percentile(baseline, 0.5)
    results: dict[str, Any] = {
        "command": "python -m bench.engagement_bench",
        "machine": machine(),
        "rate_per_s": rate,
        "seconds_each": seconds,
        "marketing_settle_seconds": settle,
        "baseline_get_price_p50_ms": round(base_p50 * 1000, 2),
        "baseline_get_price_p99_ms": round(percentile(baseline, 0.99) * 1000, 2),
        "baseline_calls": len(baseline),
    }
    for name, figures in measured.items():
        results.update(_figures(name, figures, base_p50))
    if emails := measured["marketing"].latencies:
        # The part that is not the deliberate hold: scoring, the send through the gateway,
        # notifications rendering the email.
        for fraction, label in ((0.5, "p50"), (0.99, "p99")):
            beyond = percentile(emails, fraction) - settle
            results[f"marketing_{label}_beyond_settle_ms"] = round(beyond * 1000, 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rate", type=float, default=5.0, help="samples started per second, each scenario"
    )
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="how long samples are started, each scenario"
    )
    args = parser.parse_args()
    results = asyncio.run(bench(args.rate, args.seconds))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for key, value in results.items():
        if key not in {"machine", "command"} and not key.endswith("_each_ms"):
            print(f"  {key:<34} {value}")


if __name__ == "__main__":
    main()
