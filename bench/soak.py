"""`make soak`: the platform under `make run`'s supervision, ordered from steadily while its
processes are killed, and an audit of what became of every order.

For `--duration` seconds it places `--rate` orders a second through the gateway (retrying a
refused or unavailable call with the same request id, as a client should), kills a random
service with SIGKILL every `--kill-every` seconds (the supervisor restarts it), and kills the
embedded nats-server once, halfway (restarted on its port and store). Then it waits for the
cascades to settle and prints:

- placed / shipped / cancelled / stuck (not in a final state after the settle time);
- paid twice, reserved twice, shipped twice (distinct events of one kind for one order);
- whether the stock moved by exactly what shipped;
- p50 / p99 / max time from the first try to place an order to its final state.

The fault tests (`tests/e2e/test_faults.py`) drive the same pieces for a shorter while. A kill
of a process on one host does not test what reaches the disk (the page cache survives it).
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import grpc
import nats
from acme.inventory.v1 import inventory_pb2 as inventory_pb
from acme.inventory.v1 import inventory_pb2_grpc as inventory_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from google.protobuf import timestamp_pb2

from accord.call_metadata import channel_with_metadata
from accord.direct import next_after
from accord.nats_auth import developer_url
from accord.settings import CommonSettings
from accord.tooling import devkeys
from accord.tooling.platform import RUN_DIR
from accord.tooling.services import discover_services
from bench._common import accord_run, run_environment

T = TypeVar("T")
CUSTOMER = "soak"
SKU = "SOAK-1"
STOCK = 1_000_000
SCOPES = ("orders:read", "orders:write", "inventory:read", "inventory:admin")
FINAL = frozenset({v2.ORDER_STATUS_SHIPPED, v2.ORDER_STATUS_CANCELLED})
# What a client retries with the same request id: the platform could not take the call now.
RETRIED = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
    }
)
# The events of which one order has at most one (by event id), and their streams.
ONCE = {
    "paid": ("PAYMENTS", "acme.payments.v1.payment.authorized"),
    "reserved": ("INVENTORY", "acme.inventory.v1.stock.reserved"),
    "shipped": ("SHIPPING", "acme.shipping.v1.shipment.scheduled"),
}


class RunningPlatform:
    """`python -m accord run` in a subprocess, in its own ACCORD_HOME, on free ports."""

    def __init__(self, home: Path, echo: bool = False, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.echo = echo
        self.env = env or {}
        self.gateway = ""
        self.nats_url = ""
        self.log: list[str] = []
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 120.0) -> None:
        env = run_environment(self.home, **self.env)
        self._process = await accord_run(env, stderr=asyncio.subprocess.STDOUT)
        banner = await asyncio.wait_for(self._read_banner(), timeout)
        gateway = re.search(r"gateway\s+(127\.0\.0\.1:\d+)", banner)
        nats_url = re.search(r"NATS\s+(nats://\S+)", banner)
        if gateway is None or nats_url is None:
            raise RuntimeError(f"accord run printed no addresses:\n{banner}")
        self.gateway = gateway.group(1)
        # Audits read the streams as the developer: services' identities read only their own.
        settings = CommonSettings(home=self.home, mode="development")
        self.nats_url = developer_url(nats_url.group(1), settings)
        self._reader = asyncio.create_task(self._read_forever())

    async def _read_banner(self) -> str:
        assert self._process is not None
        assert self._process.stdout is not None
        while True:
            line = (await self._process.stdout.readline()).decode(errors="replace")
            if not line:
                raise RuntimeError("accord run ended before it was ready:\n" + "".join(self.log))
            self._keep(line)
            if "acme.orders.v2.OrderService/PlaceOrder" in line:
                return "".join(self.log)

    async def _read_forever(self) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        while line := await self._process.stdout.readline():
            self._keep(line.decode(errors="replace"))

    def _keep(self, line: str) -> None:
        self.log.append(line)
        if self.echo:
            print(line, end="", flush=True)

    def pid(self, name: str) -> int:
        return int((self.home / RUN_DIR / f"{name}.pid").read_text())

    def kill(self, name: str) -> int:
        """kill -9 the process `name` runs as; its pid."""
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        return pid

    def restarts(self, name: str) -> int:
        return sum(f"accord: {name} restarted" in line for line in self.log)

    async def stop(self) -> int:
        process, self._process = self._process, None
        if process is None:
            return 0
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 60)
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._reader, 5)
        return code

    @contextlib.asynccontextmanager
    async def channel(self, subject: str, *scopes: str) -> AsyncIterator[grpc.aio.Channel]:
        token = devkeys.mint_token(subject, scopes, home=self.home)
        bearer = [("authorization", f"Bearer {token}")]
        async with channel_with_metadata(self.gateway, lambda method: bearer) as channel:
            yield channel


@dataclass
class Placed:
    request_id: str
    first_try: float = 0.0  # wall clock of the first attempt to place it
    order_id: str = ""
    order: v2.Order | None = None  # as last read


@dataclass
class Report:
    placed: int
    shipped: int
    cancelled: int
    stuck: int
    twice: dict[str, int]
    stock_expected: int
    stock_found: int
    seconds_to_final: list[float] = field(default_factory=list)

    @property
    def stock_exact(self) -> bool:
        return self.stock_expected == self.stock_found

    def percentile(self, q: float) -> float:
        ordered = sorted(self.seconds_to_final)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def lines(self) -> list[str]:
        p50 = statistics.median(self.seconds_to_final) if self.seconds_to_final else 0.0
        return [
            f"placed {self.placed}  shipped {self.shipped}  cancelled {self.cancelled}  "
            f"stuck {self.stuck}",
            f"paid twice {self.twice['paid']}  reserved twice {self.twice['reserved']}  "
            f"shipped twice {self.twice['shipped']}",
            f"stock {'exact' if self.stock_exact else 'WRONG'}: {self.stock_found} "
            f"(expected {self.stock_expected})",
            f"time to a final state: p50 {p50:.2f} s  p99 {self.percentile(0.99):.2f} s  "
            f"max {self.percentile(1.0):.2f} s",
        ]


class Shop:
    """Places orders through the gateway as one customer, and audits what became of them."""

    def __init__(self, platform: RunningPlatform, run_id: str) -> None:
        self.platform = platform
        self.run_id = run_id
        self.placed: list[Placed] = []
        self.initial_stock = 0

    async def stock_up(self) -> None:
        async with self.platform.channel("soak-staff", *SCOPES) as channel:
            inventory = inventory_grpc.InventoryServiceStub(channel)
            await _retried(
                lambda: inventory.SetStock(
                    inventory_pb.SetStockRequest(sku=SKU, available=STOCK), timeout=10
                )
            )
            # Orders are priced from the catalogue: the product needs its price.
            price = inventory_pb.Money(currency_code="EUR", units=3)
            await _retried(
                lambda: inventory.SetPrice(
                    inventory_pb.SetPriceRequest(sku=SKU, unit_price=price), timeout=10
                )
            )
        self.initial_stock = await self.stock()

    async def stock(self) -> int:
        async with self.platform.channel("soak-staff", *SCOPES) as channel:
            inventory = inventory_grpc.InventoryServiceStub(channel)
            reply = await _retried(
                lambda: inventory.GetStock(inventory_pb.GetStockRequest(sku=SKU), timeout=10)
            )
        return int(reply.stock.available)

    async def place_at_rate(self, rate: float, seconds: float) -> None:
        """`rate` orders a second for `seconds`, each retried until the platform takes it."""
        async with self.platform.channel(CUSTOMER, *SCOPES) as channel:
            orders = v2_grpc.OrderServiceStub(channel)
            loop = asyncio.get_running_loop()
            start = loop.time()
            calls: list[asyncio.Task[None]] = []
            n = 0
            while (due := start + n / rate) < start + seconds:
                await asyncio.sleep(max(0.0, due - loop.time()))
                placed = Placed(f"{self.run_id}-{n}", first_try=time.time())
                self.placed.append(placed)
                calls.append(asyncio.create_task(self._place(orders, placed)))
                n += 1
            await asyncio.gather(*calls)

    async def _place(self, orders: "v2_grpc.OrderServiceAsyncStub", placed: Placed) -> None:
        request = v2.PlaceOrderRequest(
            request_id=placed.request_id,
            customer_id=CUSTOMER,
            lines=[v2.OrderLine(sku=SKU, quantity=1)],  # at the catalogue's price
            payment_token="tok_visa",
        )
        reply = await _retried(lambda: orders.PlaceOrder(request, timeout=10))
        placed.order_id = reply.order.order_id
        placed.order = reply.order

    async def settle(self, within: float) -> None:
        """Read every order until each is final, or `within` seconds have passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with self.platform.channel(CUSTOMER, *SCOPES) as channel:
            orders = v2_grpc.OrderServiceStub(channel)
            gate = asyncio.Semaphore(16)

            async def read(placed: Placed) -> None:
                async with gate:
                    with contextlib.suppress(grpc.aio.AioRpcError):
                        reply = await orders.GetOrder(
                            v2.GetOrderRequest(order_id=placed.order_id), timeout=10
                        )
                        placed.order = reply.order

            while True:
                open_ = [p for p in self.placed if p.order is None or p.order.status not in FINAL]
                if not open_ or loop.time() > deadline:
                    return
                await asyncio.gather(*(read(p) for p in open_))
                await asyncio.sleep(0.5)

    async def audit(self) -> Report:
        shipped = [p for p in self.placed if p.order and p.order.status == v2.ORDER_STATUS_SHIPPED]
        cancelled = [
            p for p in self.placed if p.order and p.order.status == v2.ORDER_STATUS_CANCELLED
        ]
        # From the customer's first try (a try refused while a process was down counts)
        # to the final status, on the same host's clock.
        seconds = [
            _seconds(p.order.history[-1].time) - p.first_try
            for p in (*shipped, *cancelled)
            if p.order is not None
        ]
        ours = {p.order_id for p in self.placed}
        twice = {
            kind: await self._twice(stream, subject, ours)
            for kind, (stream, subject) in ONCE.items()
        }
        return Report(
            placed=len(self.placed),
            shipped=len(shipped),
            cancelled=len(cancelled),
            stuck=len(self.placed) - len(shipped) - len(cancelled),
            twice=twice,
            stock_expected=self.initial_stock - len(shipped),
            stock_found=await self.stock(),
            seconds_to_final=seconds,
        )

    async def _twice(self, stream: str, subject: str, ours: set[str]) -> int:
        """How many of our orders have more than one distinct event on `subject`."""
        nc = await nats.connect(self.platform.nats_url)
        events: dict[str, set[str]] = {}
        try:
            js = nc.jetstream()
            after = 0
            while True:
                batch = await next_after(js, stream, subject, after, 256)
                for msg in batch.messages:
                    order_id = json.loads(msg.data).get("orderId", "")
                    if order_id in ours:
                        events.setdefault(order_id, set()).add(msg.headers.get("ce-id", ""))
                    after = msg.sequence
                if not batch.pending or not batch.messages:
                    break
        finally:
            await nc.close()
        return sum(len(ids) > 1 for ids in events.values())


async def _retried(call: Callable[[], Awaitable[T]], within: float = 120.0) -> T:
    """`call()` until it is not refused for a reason a retry can cure (same request)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    delay = 0.1
    while True:
        try:
            return await call()
        except grpc.aio.AioRpcError as error:
            if error.code() not in RETRIED or loop.time() > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


def _seconds(stamp: timestamp_pb2.Timestamp) -> float:
    return stamp.seconds + stamp.nanos / 1e9


def killable() -> list[str]:
    return [service.name for service in discover_services()]


async def soak(duration: float, rate: float, kill_every: float, settle: float, echo: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="accord-soak-") as tmp:
        platform = RunningPlatform(Path(tmp) / "home", echo=echo)
        await platform.start()
        shop = Shop(platform, f"soak{int(time.time())}")
        chooser = random.Random(7)
        killed: list[str] = []
        try:
            await shop.stock_up()
            ordering = asyncio.create_task(shop.place_at_rate(rate, duration))
            loop = asyncio.get_running_loop()
            start = loop.time()
            nats_killed = False
            while not ordering.done():
                await asyncio.wait({ordering}, timeout=kill_every)
                if ordering.done():
                    break
                if not nats_killed and loop.time() - start >= duration / 2:
                    platform.kill("nats-server")
                    killed.append("nats-server")
                    nats_killed = True
                    continue
                victim = chooser.choice(killable())
                platform.kill(victim)
                killed.append(victim)
            await ordering
            await shop.settle(settle)
            report = await shop.audit()
        finally:
            code = await platform.stop()
    print(f"accord soak: {duration:.0f} s at {rate:g} orders/s, killed every {kill_every:g} s:")
    print(f"  killed (kill -9, in order): {', '.join(killed)}")
    restarts = sum("restarted (pid" in line for line in platform.log)
    print(f"  restarts by make run's supervisor: {restarts}")
    for line in report.lines():
        print(f"  {line}")
    print(f"  make run exited with {code}")
    healthy = report.stuck == 0 and not any(report.twice.values()) and report.stock_exact
    return 0 if healthy and code == 0 else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of ordering")
    parser.add_argument("--rate", type=float, default=20.0, help="orders a second")
    parser.add_argument("--kill-every", type=float, default=20.0, help="seconds between kills")
    parser.add_argument("--settle", type=float, default=120.0, help="seconds to settle after")
    parser.add_argument("--echo", action="store_true", help="print the platform's log")
    args = parser.parse_args(argv)
    return asyncio.run(soak(args.duration, args.rate, args.kill_every, args.settle, args.echo))


if __name__ == "__main__":
    sys.exit(main())
