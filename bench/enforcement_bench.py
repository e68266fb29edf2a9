"""What a service's own contract check costs per call: the same server with and without the
enforcement interceptor (accord/enforcement.py), driven by h2load, alternating, median of 3.

    python -m bench.enforcement_bench [--seconds 5] [--repeats 3]

The server (bench/enforcement_server.py) answers orders v2 GetOrder with a fixed order, so its
CPU per call is grpc's plus, when on, the interceptor's: verifying the caller's JWT (cached
after the first call), the method's policy, and the caller handed to the servicer. The
figure is the difference of the server's CPU per call, at 32 calls in flight.
JSON goes to bench/results/enforcement.json.
"""

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from acme.orders.v2 import orders_pb2

from accord.tooling import devkeys
from accord.tooling.nats_cluster import free_ports
from bench._common import machine, median
from bench.edge_bench import (
    Load,
    Path_,
    frame,
    h2load,
    load_average,
    require_h2load,
    wait_ready,
)

RESULTS = Path("bench/results/enforcement.json")


async def bench(seconds: float, repeats: int) -> dict[str, Any]:
    require_h2load()
    with tempfile.TemporaryDirectory(prefix="accord-enforcement-") as tmp:
        scratch = Path(tmp)
        home = scratch / "home"
        devkeys.ensure_dev_keys(home)
        token = devkeys.mint_token("bench", ["orders:read"], home=home)
        bearer = (("authorization", f"Bearer {token}"),)
        body = scratch / "request.bin"
        request = orders_pb2.GetOrderRequest(order_id="o-1")
        body.write_bytes(frame(request.SerializeToString()))
        answer = orders_pb2.GetOrderResponse(
            order=orders_pb2.Order(order_id="o-1", customer_id="bench")
        )
        servers: dict[str, tuple[asyncio.subprocess.Process, str]] = {}
        try:
            for name, port in zip(("off", "on"), free_ports(2), strict=True):
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bench.enforcement_server", str(port), str(home), name
                )
                servers[name] = (process, f"127.0.0.1:{port}")
                await wait_ready(servers[name][1])
            before = load_average()
            rounds: list[dict[str, float]] = []
            for index in range(repeats):
                cpu = {}
                for name in ("off", "on") if index % 2 == 0 else ("on", "off"):
                    process, address = servers[name]
                    load = Load(body, 32, seconds, 5 + answer.ByteSize(), process.pid, scratch)
                    run = await h2load(Path_(address, bearer, None), name, load)
                    cpu[name] = run.backend_cpu_s / run.calls * 1e6
                    cpu[f"{name}_calls_per_s"] = run.per_second
                rounds.append(cpu)
            return {
                "server_cpu_us_per_call_off": round(median([r["off"] for r in rounds]), 1),
                "server_cpu_us_per_call_on": round(median([r["on"] for r in rounds]), 1),
                "interceptor_cpu_us_per_call": round(
                    median([r["on"] - r["off"] for r in rounds]), 1
                ),
                "throughput_ratio_on_vs_off": round(
                    median([r["on_calls_per_s"] / r["off_calls_per_s"] for r in rounds]), 3
                ),
                "rounds": rounds,
                "load_average_before": before,
                "load_average_after": load_average(),
            }
        finally:
            for process, _ in servers.values():
                process.terminate()
                await process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = asyncio.run(bench(args.seconds, args.repeats))
    report = {
        "command": f"python -m bench.enforcement_bench --seconds {args.seconds:g} "
        f"--repeats {args.repeats}",
        "machine": machine(),
        **results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"interceptor: {results['interceptor_cpu_us_per_call']} us CPU per call "
        f"({results['server_cpu_us_per_call_off']} -> {results['server_cpu_us_per_call_on']}), "
        f"throughput on/off {results['throughput_ratio_on_vs_off']}"
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
