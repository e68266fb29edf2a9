"""What syncing JetStream to disk before acknowledging costs.

    python -m bench.durability_bench [--repeats 3]

The platform's generated nats-server configuration syncs every write before acknowledging
it (`sync_interval: always`), because banking, payments and orders keep money and orders
on that server (accord/tooling/nats_config.py; ACCORD_NATS_SYNC chooses otherwise). nats-server's
own default acknowledges from memory and syncs every two minutes. Each repetition starts a
fresh server of each kind (the order alternating) and measures on it, with the same
269-byte body:

- JetStream publish, each awaiting its acknowledgement (a service publishing an event);
- JetStream publish, pipelined (`publish_async`, every acknowledgement awaited at the end);
- key-value put, each awaited (a service changing its state).

Each figure is `always` as a ratio of the default, measured in the same repetition; the
median of the repetitions is reported. The figures depend on the disk under the temporary
folder: on tmpfs a sync costs nothing, on a real disk it is the point.
"""

import argparse
import asyncio
import json
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client as NatsClient

from accord.tooling.nats_config import ServerSecurity
from bench._common import Stopwatch, Timed, fresh_nats_server, machine, median

RESULTS = Path("bench/results/durability.json")
COMMAND = "make bench  (python -m bench.durability_bench --repeats {repeats})"
ACKED = 1_000
PIPELINED = 5_000
PUTS = 1_000
BODY = b'{"orderId":"' + b"x" * 240 + b'"}'
SYNCS = ("2m", "always")  # nats-server's default, and the platform's


async def _publishes(nc: NatsClient, subject: str, count: int, pipelined: bool = False) -> Timed:
    """`count` publishes, each awaited for its ack, or pipelined (acks awaited at the end)."""
    js = nc.jetstream()
    publish = js.publish_async if pipelined else js.publish
    watch = Stopwatch()
    watch.start()
    for _ in range(count):
        await publish(subject, BODY)
    if pipelined:
        await js.publish_async_completed()
    return watch.stop(count)


async def _puts(nc: NatsClient, count: int) -> Timed:
    kv = await nc.jetstream().create_key_value(bucket=f"bench_{uuid.uuid4().hex[:8]}")
    watch = Stopwatch()
    watch.start()
    for index in range(count):
        await kv.put(f"account.{index % 50}", BODY)
    return watch.stop(count)


async def _measure(sync: str) -> dict[str, float]:
    security = ServerSecurity(users=(), developer_password=secrets.token_urlsafe(16), sync=sync)
    async with fresh_nats_server(security) as server:
        nc = await nats.connect(server.url)
        try:
            subject = f"bench.{uuid.uuid4().hex[:8]}"
            await nc.jetstream().add_stream(
                name=f"BENCH_{uuid.uuid4().hex[:8]}", subjects=[subject]
            )
            await _publishes(nc, subject, 50)  # warm-up
            return {
                "publish_acked_per_s": (await _publishes(nc, subject, ACKED)).per_second,
                "publish_pipelined_per_s": (
                    await _publishes(nc, subject, PIPELINED, pipelined=True)
                ).per_second,
                "kv_put_per_s": (await _puts(nc, PUTS)).per_second,
            }
        finally:
            await nc.close()


async def one_repetition(index: int) -> dict[str, Any]:
    order = SYNCS if index % 2 == 0 else tuple(reversed(SYNCS))
    return {sync: await _measure(sync) for sync in order}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repetitions, each on new servers")
    args = parser.parse_args()
    began = time.perf_counter()
    runs = [asyncio.run(one_repetition(index)) for index in range(args.repeats)]
    figures = list(runs[0][SYNCS[0]])
    summary = {
        figure: {
            "default_per_s": round(median([run["2m"][figure] for run in runs])),
            "always_per_s": round(median([run["always"][figure] for run in runs])),
            "always_vs_default": round(
                median([run["always"][figure] / run["2m"][figure] for run in runs]), 3
            ),
        }
        for figure in figures
    }
    report = {
        "command": COMMAND.format(repeats=args.repeats),
        "machine": machine(),
        "seconds": round(time.perf_counter() - began, 1),
        "summary": summary,
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print("| measure | sync every 2 min (default) | sync always (platform) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for figure, row in summary.items():
        print(
            f"| {figure.removesuffix('_per_s').replace('_', ' ')} | {row['default_per_s']:,}/s | "
            f"{row['always_per_s']:,}/s | {row['always_vs_default']:.2f}x |"
        )
    print(f"{report['seconds']} s; written to {RESULTS}")


if __name__ == "__main__":
    main()
