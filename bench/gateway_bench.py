"""Gateway overhead: unary calls direct to the orders service vs through the gateway.

    python -m bench.gateway_bench [--seconds 3] [--repeats 5]

Everything runs on this machine in one run: an embedded nats-server, the real orders service
(`python -m services.orders`) and the gateway (`python -m gateway`) as separate processes, and
this process as the client. Each round measures GetOrder (acme.orders.v2, a JetStream
key-value read in the service) direct and through the gateway, at 1 and at 32 calls in flight,
and reads both servers' CPU time from /proc. Figures are ratios and differences against the
direct baseline of the same round; each is reported as its median over the rounds. A plain
pass-through proxy (bench/naive_proxy.py: no auth, limits or logging) is measured in the same
rounds, as the floor a Python gRPC proxy reaches here. JSON goes to bench/results/gateway.json.
"""

import argparse
import asyncio
import json
import os
import socket
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import grpc
from acme.orders.v2 import orders_pb2, orders_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from accord import devkeys
from accord.identity import Principal
from accord.nats_config import development_security
from accord.nats_server import NatsServer
from accord.settings import CommonSettings
from bench._common import fresh_nats_server, machine, median, percentile, process_cpu_seconds
from gateway.auth import AuthSettings, PrincipalSigner

RESULTS = Path("bench/results/gateway.json")
CONCURRENCY = (1, 32)


@dataclass
class Run:
    """One timed run of `in_flight` concurrent callers against one target."""

    target: str  # "direct", "gateway" or "naive"
    in_flight: int
    calls: int
    seconds: float
    p50_ms: float
    p99_ms: float
    backend_cpu_s: float
    gateway_cpu_s: float

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_serving(
    address: str, process: asyncio.subprocess.Process, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    async with grpc.aio.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                response = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if response.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if process.returncode is not None:
                raise RuntimeError(f"{address}: the process exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{address} never became SERVING")
            await asyncio.sleep(0.1)


async def _spawn(module: str, env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,  # the gateway's access log: produced, not kept
        stderr=None,  # a failing process says why on the bench's own stderr
    )


async def _measure(
    target: str,
    address: str,
    in_flight: int,
    seconds: float,
    metadata: tuple[tuple[str, str], ...],
    request: orders_pb2.GetOrderRequest,
    backend_pid: int,
    proxy_pid: int,
) -> Run:
    async with grpc.aio.insecure_channel(address) as channel:
        get = orders_pb2_grpc.OrderServiceStub(channel).GetOrder
        for _ in range(50):  # warm up the connection and both servers' caches
            await get(request, metadata=metadata)
        latencies: list[float] = []
        stop_at = 0.0

        async def caller() -> None:
            clock = time.perf_counter
            while True:
                started = clock()
                if started >= stop_at:
                    return
                await get(request, metadata=metadata)
                latencies.append(clock() - started)

        backend_cpu, gateway_cpu = process_cpu_seconds(backend_pid), process_cpu_seconds(proxy_pid)
        began = time.perf_counter()
        stop_at = began + seconds
        await asyncio.gather(*(caller() for _ in range(in_flight)))
        elapsed = time.perf_counter() - began
        backend_cpu = process_cpu_seconds(backend_pid) - backend_cpu
        gateway_cpu = process_cpu_seconds(proxy_pid) - gateway_cpu
    latencies.sort()
    return Run(
        target,
        in_flight,
        len(latencies),
        elapsed,
        percentile(latencies, 0.50) * 1000,
        percentile(latencies, 0.99) * 1000,
        backend_cpu,
        gateway_cpu,
    )


def _summary(rounds: list[dict[str, Run]]) -> dict[str, Any]:
    """Each figure as the median over the rounds of that figure, every figure of a round being
    paired with the direct baseline (or, for the gateway's extra CPU, the bare proxy) of the
    same round; and every round's figures, to read the spread."""
    us = 1e6

    def cpu(run: Run, process: str) -> float:
        seconds = run.gateway_cpu_s if process == "proxy" else run.backend_cpu_s
        return seconds / run.calls * us

    per_round = []
    for pair in rounds:
        direct, gw, naive = pair["direct"], pair["gateway"], pair["naive"]
        per_round.append(
            {
                "throughput_ratio": gw.per_second / direct.per_second,
                "direct_calls_per_s": direct.per_second,
                "gateway_calls_per_s": gw.per_second,
                "direct_p50_ms": direct.p50_ms,
                "gateway_p50_ms": gw.p50_ms,
                "added_p50_ms": gw.p50_ms - direct.p50_ms,
                "direct_p99_ms": direct.p99_ms,
                "gateway_p99_ms": gw.p99_ms,
                "added_p99_ms": gw.p99_ms - direct.p99_ms,
                "gateway_cpu_us_per_call": cpu(gw, "proxy"),
                "backend_cpu_us_per_call_direct": cpu(direct, "backend"),
                "backend_cpu_us_per_call_via_gateway": cpu(gw, "backend"),
                "naive_proxy_throughput_ratio": naive.per_second / direct.per_second,
                "naive_proxy_added_p50_ms": naive.p50_ms - direct.p50_ms,
                "naive_proxy_added_p99_ms": naive.p99_ms - direct.p99_ms,
                "naive_proxy_cpu_us_per_call": cpu(naive, "proxy"),
                # What the gateway's features cost beyond the bare proxy, in the same round.
                "gateway_cpu_us_per_call_beyond_naive": cpu(gw, "proxy") - cpu(naive, "proxy"),
            }
        )
    digits = {"calls_per_s": 0, "_ms": 3, "cpu_us": 1}

    def rounded(key: str, value: float) -> float:
        places = next((n for part, n in digits.items() if part in key), 3)
        return round(value, places) if places else round(value)

    summary: dict[str, Any] = {
        key: rounded(key, median([figures[key] for figures in per_round])) for key in per_round[0]
    }
    summary["rounds"] = [
        {key: rounded(key, value) for key, value in figures.items()} for figures in per_round
    ]
    summary["runs"] = [asdict(run) for pair in rounds for run in pair.values()]
    return summary


async def bench(seconds: float, repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        home = Path(tmp) / "home"
        devkeys.ensure_dev_keys(home)
        # The generated configuration, as `make run` has it: orders connects as itself.
        identities = home / "keys" / "nats"
        settings = CommonSettings(home=home, mode="development", nats_identities=identities)
        async with fresh_nats_server(development_security(settings)) as nats_server:
            return await _bench(home, nats_server, seconds, repeats)


@dataclass
class Target:
    """Where a run sends its calls, what they carry, and whose CPU counts as the proxy's."""

    address: str
    metadata: tuple[tuple[str, str], ...]
    proxy_pid: int  # for "direct", the idle gateway: its figure is only a sanity check


async def _bench(
    home: Path, nats_server: NatsServer, seconds: float, repeats: int
) -> dict[str, Any]:
    processes: list[asyncio.subprocess.Process] = []
    try:
        via_gateway = f"127.0.0.1:{_free_port()}"
        common = {
            "NATS_URL": nats_server.address,
            "ACCORD_HOME": str(home),
            "ACCORD_MODE": "development",
            "ACCORD_NATS_IDENTITIES": str(home / "keys" / "nats"),  # the server's
            # Orders prices its one order from the catalogue, through the gateway.
            "ACCORD_GATEWAY_ADDRESS": via_gateway,
        }
        direct = f"127.0.0.1:{_free_port()}"
        orders = await _spawn("services.orders", {**common, "ACCORD_ORDERS_PORT": _port(direct)})
        processes.append(orders)
        await _wait_serving(direct, orders)
        catalogue = f"127.0.0.1:{_free_port()}"
        inventory = await _spawn(
            "services.inventory", {**common, "ACCORD_INVENTORY_PORT": _port(catalogue)}
        )
        processes.append(inventory)
        await _wait_serving(catalogue, inventory)
        gateway = await _spawn(
            "gateway",
            {
                **common,
                "ACCORD_GATEWAY_LISTEN": via_gateway,
                "ACCORD_GATEWAY_METRICS_LISTEN": f"127.0.0.1:{_free_port()}",
                "ACCORD_GATEWAY_ROUTES": json.dumps(
                    {"acme.orders": [direct], "acme.inventory": [catalogue]}
                ),
                # One principal makes every call here: no per-principal rate limit.
                "ACCORD_GATEWAY_RATE_LIMIT_PER_S": "0",
            },
        )
        processes.append(gateway)
        await _wait_serving(via_gateway, gateway)
        via_naive = f"127.0.0.1:{_free_port()}"
        naive = await _spawn("bench.naive_proxy", {}, _port(via_naive), direct)
        processes.append(naive)
        async with grpc.aio.insecure_channel(via_naive) as channel:
            await asyncio.wait_for(channel.channel_ready(), 30)

        token = devkeys.mint_token("bench", ["orders:read", "orders:write"], home=home)
        bearer = (("authorization", f"Bearer {token}"),)
        request = orders_pb2.GetOrderRequest(order_id=await _place_order(via_gateway, bearer))
        # Direct calls (and the naive proxy's) carry what the gateway would add: a principal
        # header signed with the gateway's key, since the service refuses calls without one.
        signer = PrincipalSigner.from_settings(
            AuthSettings.model_validate({"ACCORD_HOME": str(home), "mode": "development"})
        )
        principal = Principal("bench", frozenset({"orders:read", "orders:write"}), "jwt")

        def targets() -> dict[str, Target]:
            # Signed afresh for every round: a principal header lives 60 s.
            signed = tuple(signer.headers(principal, "acme.orders.v2.OrderService"))
            return {
                "direct": Target(direct, signed, gateway.pid),
                "gateway": Target(via_gateway, bearer, gateway.pid),
                "naive": Target(via_naive, signed, naive.pid),
            }

        results: dict[str, Any] = {}
        for in_flight in CONCURRENCY:
            rounds = []
            for index in range(repeats):
                runs: dict[str, Run] = {}
                # Rotate which goes first, so drift does not favour one of them.
                names = ["direct", "gateway", "naive"]
                for name in names[index % 3 :] + names[: index % 3]:
                    target = targets()[name]
                    runs[name] = await _measure(
                        name,
                        target.address,
                        in_flight,
                        seconds,
                        target.metadata,
                        request,
                        orders.pid,
                        target.proxy_pid,
                    )
                rounds.append(runs)
            results[f"in_flight_{in_flight}"] = _summary(rounds)
        return results
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
                await process.wait()


async def _place_order(address: str, metadata: tuple[tuple[str, str], ...]) -> str:
    """The order every GetOrder of the run reads."""
    line = orders_pb2.OrderLine(sku="TEA-1", quantity=2)  # at the catalogue's price
    async with grpc.aio.insecure_channel(address) as channel:
        placed = await orders_pb2_grpc.OrderServiceStub(channel).PlaceOrder(
            orders_pb2.PlaceOrderRequest(request_id="bench-1", customer_id="bench", lines=[line]),
            metadata=metadata,
        )
    return str(placed.order.order_id)


def _port(address: str) -> str:
    return address.rpartition(":")[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each timed run")
    parser.add_argument("--repeats", type=int, default=5, help="rounds per concurrency")
    args = parser.parse_args()
    results = asyncio.run(bench(args.seconds, args.repeats))
    report = {
        "command": "python -m bench.gateway_bench "
        f"--seconds {args.seconds:g} --repeats {args.repeats}",
        "machine": machine(),
        "backend": "services.orders (acme.orders.v2 GetOrder), embedded NATS JetStream",
        "targets": {"throughput_ratio_at_32": 0.6, "added_p50_ms_at_1": 0.5},
        **results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    for key, figures in results.items():
        print(
            f"{key}: ratio {figures['throughput_ratio']} "
            f"({figures['gateway_calls_per_s']}/{figures['direct_calls_per_s']} calls/s), "
            f"added p50 {figures['added_p50_ms']} ms, added p99 {figures['added_p99_ms']} ms, "
            f"gateway CPU {figures['gateway_cpu_us_per_call']} us/call "
            f"({figures['gateway_cpu_us_per_call_beyond_naive']} beyond the bare proxy), "
            f"backend CPU {figures['backend_cpu_us_per_call_direct']} us/call; "
            f"naive proxy: ratio {figures['naive_proxy_throughput_ratio']}, "
            f"added p50 {figures['naive_proxy_added_p50_ms']} ms, "
            f"CPU {figures['naive_proxy_cpu_us_per_call']} us/call"
        )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
