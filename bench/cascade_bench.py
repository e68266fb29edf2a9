"""The purchase cascade, end to end: PlaceOrder through the gateway until the customer's
WatchOrder sees "shipped" (payments, inventory, shipping and orders in between, over
JetStream). Orders are started at a fixed moderate rate; p50 and p99 are reported.

The platform is started as `make run` starts it (every service and the gateway, each its own
process, on an embedded nats-server). The baseline, measured in the same run against the same
processes, is one GetOrder round trip through the gateway: the cascade's latency is reported
both in milliseconds and as a multiple of that call. JSON goes to bench/results/cascade.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc

from accord.call_metadata import channel_with_metadata
from accord.tooling import devkeys
from bench._common import machine, median, percentile, running_platform

RESULTS = Path("bench/results/cascade.json")
SCOPES = ("orders:read", "orders:write")


def _order(customer: str) -> v2.PlaceOrderRequest:
    return v2.PlaceOrderRequest(
        request_id=uuid.uuid4().hex,
        customer_id=customer,
        lines=[v2.OrderLine(sku="TEA-1", quantity=1)],  # at the catalogue's price
        payment_token="tok_visa",
    )


async def _one_purchase(orders: v2_grpc.OrderServiceAsyncStub, customer: str) -> float:
    started = time.perf_counter()
    placed = (await orders.PlaceOrder(_order(customer))).order
    async for update in orders.WatchOrder(v2.WatchOrderRequest(order_id=placed.order_id)):
        if update.order.status == v2.ORDER_STATUS_SHIPPED:
            return time.perf_counter() - started
        if update.order.status == v2.ORDER_STATUS_CANCELLED:
            raise RuntimeError(f"order {placed.order_id} was cancelled")
    raise RuntimeError(f"order {placed.order_id} never shipped")


async def _at_rate(rate: float, seconds: float, run: Any) -> list[float]:
    tasks = []
    for index in range(int(rate * seconds)):
        tasks.append(asyncio.create_task(run(index)))
        await asyncio.sleep(1 / rate)
    return sorted(await asyncio.gather(*tasks))


async def bench(rate: float, seconds: float) -> dict[str, Any]:
    async with running_platform("accord-cascade-") as platform:
        customer = "bench-customer"
        token = devkeys.mint_token(customer, SCOPES, home=platform.home)
        bearer = [("authorization", f"Bearer {token}")]
        async with channel_with_metadata(platform.gateway, lambda method: bearer) as channel:
            orders = v2_grpc.OrderServiceStub(channel)
            await _one_purchase(orders, customer)  # warm every path once
            cascade = await _at_rate(rate, seconds, lambda i: _one_purchase(orders, customer))
            placed = (await orders.PlaceOrder(_order(customer))).order
            request = v2.GetOrderRequest(order_id=placed.order_id)

            async def one_get(index: int) -> float:
                started = time.perf_counter()
                await orders.GetOrder(request)
                return time.perf_counter() - started

            baseline = await _at_rate(rate, seconds, one_get)
    p50, p99 = percentile(cascade, 0.5), percentile(cascade, 0.99)
    base_p50 = percentile(baseline, 0.5)
    return {
        "command": "python -m bench.cascade_bench",
        "machine": machine(),
        "rate_per_s": rate,
        "orders": len(cascade),
        "place_to_shipped_p50_ms": round(p50 * 1000, 2),
        "place_to_shipped_p99_ms": round(p99 * 1000, 2),
        "baseline_get_order_p50_ms": round(base_p50 * 1000, 3),
        "baseline_get_order_p99_ms": round(percentile(baseline, 0.99) * 1000, 3),
        "p50_in_gateway_round_trips": round(p50 / base_p50, 1),
        "mean_ms": round(median(cascade) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="orders started per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long orders are started")
    args = parser.parse_args()
    results = asyncio.run(bench(args.rate, args.seconds))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for key, value in results.items():
        if key not in {"machine", "command"}:
            print(f"  {key:<32} {value}")


if __name__ == "__main__":
    main()
