"""Faults under `make run`'s supervision: kill -9 in the middle of the purchase cascade.

The platform runs as `make run` runs it (`python -m accord run`, its own home, free ports),
orders flow through the gateway at a steady rate, and processes are killed with SIGKILL while
they do. Each scenario ends with every order in a final state, none paid, reserved or shipped
twice, and the stock moved by exactly what shipped. A message a killed consumer held comes
back after its ack wait (30 s in the contracts), hence the settle time.

A kill of a process on one host does not test what reaches the disk: the page cache survives.
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.soak import Report, RunningPlatform, Shop

pytestmark = pytest.mark.e2e

CONSUMERS = ("payments", "inventory", "shipping", "orders", "notifications")
SETTLE = 100.0  # a bound for a broken run: ack wait (30 s) + backoff + restarts, with room


@pytest.fixture(scope="module")
async def running(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningPlatform]:
    platform = RunningPlatform(Path(tmp_path_factory.mktemp("faults")) / "home")
    await platform.start()
    try:
        yield platform
    finally:
        assert await platform.stop() == 0


def assert_whole(report: Report) -> None:
    assert report.stuck == 0, report.lines()
    assert report.placed == report.shipped, report.lines()  # enough stock, a card that pays
    assert report.twice == {"paid": 0, "reserved": 0, "shipped": 0}
    assert report.stock_exact, report.lines()


async def test_each_consumer_killed_mid_cascade_comes_back_and_nothing_is_done_twice(
    running: RunningPlatform,
) -> None:
    shop = Shop(running, "consumers")
    await shop.stock_up()
    pids = {name: running.pid(name) for name in CONSUMERS}
    ordering = asyncio.create_task(shop.place_at_rate(rate=15, seconds=len(CONSUMERS) + 2))
    for name in CONSUMERS:
        await asyncio.sleep(1.0)
        running.kill(name)
    await ordering
    await shop.settle(SETTLE)
    report = await shop.audit()

    assert_whole(report)
    for name in CONSUMERS:  # each came back as a new process, and the log says so
        assert running.pid(name) != pids[name]
        assert running.restarts(name) >= 1


async def test_nats_killed_mid_cascade_is_restarted_and_every_order_completes(
    running: RunningPlatform,
) -> None:
    shop = Shop(running, "nats")
    await shop.stock_up()
    before = running.pid("nats-server")
    ordering = asyncio.create_task(shop.place_at_rate(rate=10, seconds=6))
    await asyncio.sleep(2.0)
    running.kill("nats-server")
    await ordering
    await shop.settle(SETTLE)
    report = await shop.audit()

    assert_whole(report)
    assert running.pid("nats-server") != before
