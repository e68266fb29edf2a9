"""The Python SDK's cost: what a customer's program pays for typed clients and typed events.

    python -m bench.sdk_bench [--seconds 3] [--repeats 3]

- unary: GetOrder (acme.orders.v2) through the edge of a platform started as `make run`
  starts it, the SDK's `AsyncAcme.orders.v2.get_order` (credentials, the contract's deadline,
  retry policy, typed errors, deprecation check of the response headers) against the raw
  generated stub on its own grpc.aio channel with the same bearer token, at 1 and 32 calls in
  flight, the two taking turns to go first. Target: within 5% (ratio >= 0.95).
- events: 20,000 OrderPlaced events in a stream, read through a durable pull consumer with
  an ack per event, by the SDK's `EventSubscriber.subscribe` (CloudEvents attributes, payload
  validated into its model, provenance checked) against raw nats-py `fetch` + `ack` in
  batches of the same size, each on its own consumer. Target: >= 0.8x.

Ratios are taken within a round; the median of the rounds is reported. The client runs in
this process, on the same two cores as the edge and the services: the ratio is what a
program of the same shape would see. JSON goes to bench/results/sdk.json.
"""

import argparse
import asyncio
import dataclasses
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import nats
from acme.orders.v2 import orders_pb2, orders_pb2_grpc
from nats.js import api

from accord.settings import CommonSettings
from accord.tooling import devkeys
from accord.tooling.nats_config import development_security
from accord.tooling.nats_server import NatsServer
from bench._common import machine, median
from bench.soak import RunningPlatform

SDK = Path(__file__).resolve().parents[1] / "sdk" / "python" / "src"
sys.path.append(str(SDK))  # gen/python, first on the path, holds the same messages

from acme_sdk import AsyncAcme, EventSubscriber  # noqa: E402
from acme_sdk.events import orders as order_events  # noqa: E402

RESULTS = Path("bench/results/sdk.json")
IN_FLIGHT = (1, 32)
EVENTS = 20_000
BATCH = 256
NO_RATE_LIMIT = {
    "ACCORD_GATEWAY_RATE_LIMIT_PER_S": "0",
    "ACCORD_GATEWAY_PEER_RATE_LIMIT_PER_S": "0",
}


async def _calls_per_second(
    call: Callable[[], Awaitable[Any]], in_flight: int, seconds: float
) -> float:
    done = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await call()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return done / (time.perf_counter() - started)


async def unary_round(
    platform: RunningPlatform, order_id: str, seconds: float, first: str
) -> dict[str, Any]:
    token = devkeys.mint_token("bench", ["orders:read"], home=platform.home)
    request = orders_pb2.GetOrderRequest(order_id=order_id)
    metadata = (("authorization", f"Bearer {token}"),)
    figures: dict[str, Any] = {}
    async with (
        grpc.aio.insecure_channel(platform.gateway) as channel,
        AsyncAcme(platform.gateway, token=token) as acme,
    ):
        stub = orders_pb2_grpc.OrderServiceStub(channel)

        async def raw() -> None:
            await stub.GetOrder(request, metadata=metadata, timeout=5)

        async def sdk() -> None:
            await acme.orders.v2.get_order(request)

        sides = {"raw": raw, "sdk": sdk}
        order = [first, "sdk" if first == "raw" else "raw"]
        for side in order:  # warm both paths
            await _calls_per_second(sides[side], 4, 0.5)
        for in_flight in IN_FLIGHT:
            for side in order:
                figures[f"{side}@{in_flight}"] = await _calls_per_second(
                    sides[side], in_flight, seconds
                )
            figures[f"ratio@{in_flight}"] = (
                figures[f"sdk@{in_flight}"] / figures[f"raw@{in_flight}"]
            )
    return figures


def _order_placed(i: int) -> tuple[bytes, dict[str, str]]:
    order_id = f"o{i:08d}"
    body = {
        "orderId": order_id,
        "customerId": "bench",
        "totalCents": 900,
        "currency": "USD",
        "lines": [{"sku": "TEA-1", "quantity": 2, "unitPriceCents": 450}],
    }
    headers = {
        "ce-id": str(uuid.uuid4()),
        "ce-source": "/acme/orders",
        "ce-type": order_events.ORDER_PLACED.event_type,
        "ce-time": "2026-12-02T12:00:00.000Z",
        "ce-specversion": "1.0",
        "content-type": "application/json",
    }
    return json.dumps(body).encode(), headers


async def events_round(url: str, first: str) -> dict[str, Any]:
    stream = f"BENCH_{uuid.uuid4().hex[:8].upper()}"
    subject = f"bench.{stream.lower()}.order.placed"
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name=stream, subjects=[subject])
    acks = []
    for i in range(EVENTS):
        body, headers = _order_placed(i)
        acks.append(await js.publish_async(subject, body, headers=headers))
    await js.publish_async_completed()
    # The contract's OrderPlaced, on this round's own stream and subject.
    event_type = dataclasses.replace(order_events.ORDER_PLACED, address=subject, stream=stream)

    async def raw() -> float:
        durable = f"raw-{uuid.uuid4().hex[:6]}"
        sub = await js.pull_subscribe(
            subject,
            durable=durable,
            stream=stream,
            config=api.ConsumerConfig(deliver_policy=api.DeliverPolicy.ALL),
        )
        got, started = 0, time.perf_counter()
        while got < EVENTS:
            for msg in await sub.fetch(BATCH, timeout=5):
                json.loads(msg.data)  # what any reader does with an event: look at it
                await msg.ack()
                got += 1
        elapsed = time.perf_counter() - started
        await sub.unsubscribe()
        return got / elapsed

    async def sdk() -> float:
        durable = f"sdk-{uuid.uuid4().hex[:6]}"
        async with EventSubscriber(url) as subscriber:
            got, started = 0, time.perf_counter()
            async with subscriber.subscribe(
                event_type, durable=durable, start="all", batch=BATCH
            ) as events:
                async for _ in events:
                    got += 1
                    if got == EVENTS:
                        break
            return got / (time.perf_counter() - started)

    figures: dict[str, Any] = {}
    sides = {"raw": raw, "sdk": sdk}
    for side in (first, "sdk" if first == "raw" else "raw"):
        figures[side] = await sides[side]()
    figures["ratio"] = figures["sdk"] / figures["raw"]
    await js.delete_stream(stream)
    await nc.close()
    return figures


async def run(seconds: float, repeats: int) -> dict[str, Any]:
    rounds: dict[str, list[dict[str, Any]]] = {"unary": [], "events": []}
    with tempfile.TemporaryDirectory(prefix="accord-sdk-bench-") as tmp:
        # No rate limit: the bench measures calls, not the edge's refusals.
        platform = RunningPlatform(Path(tmp) / "home", env=NO_RATE_LIMIT)
        await platform.start()
        try:
            async with platform.channel("bench", "orders:write") as channel:
                placed = await orders_pb2_grpc.OrderServiceStub(channel).PlaceOrder(
                    orders_pb2.PlaceOrderRequest(
                        request_id=uuid.uuid4().hex,
                        customer_id="bench",
                        lines=[orders_pb2.OrderLine(sku="TEA-1", quantity=1)],
                        payment_token="tok_visa",
                    )
                )
            for i in range(repeats):
                first = "raw" if i % 2 == 0 else "sdk"
                rounds["unary"].append(
                    await unary_round(platform, placed.order.order_id, seconds, first)
                )
                print(f"unary round {i + 1}: {rounds['unary'][-1]}", flush=True)
        finally:
            await platform.stop()
        settings = CommonSettings(home=Path(tmp) / "events", mode="development")
        server = NatsServer(Path(tmp) / "events-store", security=development_security(settings))
        await server.start()
        try:
            for i in range(repeats):
                first = "raw" if i % 2 == 0 else "sdk"
                rounds["events"].append(await events_round(server.url, first))
                print(f"events round {i + 1}: {rounds['events'][-1]}", flush=True)
        finally:
            await server.stop()
    summary = {
        **{f"unary {k}": median([r[k] for r in rounds["unary"]]) for k in rounds["unary"][0]},
        **{f"events {k}": median([r[k] for r in rounds["events"]]) for k in rounds["events"][0]},
    }
    return {"machine": machine(), "summary": summary, "rounds": rounds}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.seconds, args.repeats))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result["summary"]))


def table(s: dict[str, Any]) -> str:
    rows = ["| measure | SDK | raw | SDK / raw | target |", "| --- | ---: | ---: | ---: | ---: |"]
    for n in IN_FLIGHT:
        sdk, raw, ratio = s[f"unary sdk@{n}"], s[f"unary raw@{n}"], s[f"unary ratio@{n}"]
        rows.append(
            f"| unary GetOrder, {n} in flight (calls/s) | {sdk:,.0f} | {raw:,.0f} "
            f"| {ratio:.2f}x | >= 0.95x |"
        )
    sdk, raw, ratio = s["events sdk"], s["events raw"], s["events ratio"]
    rows.append(
        f"| events, fetch + ack (events/s) | {sdk:,.0f} | {raw:,.0f} | {ratio:.2f}x | >= 0.8x |"
    )
    return "\n".join(rows)


if __name__ == "__main__":
    main()
