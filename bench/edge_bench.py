"""The edge's cost, measured from outside with h2load: unary GetOrder on the real orders service.

    python -m bench.edge_bench [--seconds 5] [--repeats 3]

h2load (Debian's `nghttp2-client`) is the load generator: a C HTTP/2 client, so its own CPU
does not hide the proxy's the way a Python client's does on two shared cores. Everything runs
on this machine in one run: an embedded nats-server, the real orders service
(`python -m services.orders`), a plain Envoy pass-through (the peer: what a user would put in
front without Accord; router only, no filters) and the edge with everything on, both Envoys
with the same worker count. Each round measures every path at 1 and 32 calls in flight, in an
order that rotates between rounds; each figure is its median over the rounds, and a ratio is
taken within a round.

h2load shows no trailers, so a gRPC error is an HTTP 200 like any answer: every run checks
that the DATA bytes it received are exactly calls times the size of a good answer, or it fails.
JSON goes to bench/results/edge.json.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import grpc
from acme.orders.v2 import orders_pb2, orders_pb2_grpc

from bench._common import machine, median, percentile, process_cpu_seconds

RESULTS = Path("bench/results/edge.json")
METHOD = "/acme.orders.v2.OrderService/GetOrder"
CONCURRENCY = (1, 32)
INSTALL = "h2load is missing: install it with `apt-get install nghttp2-client` (Debian/Ubuntu)"


@dataclass
class Run:
    """One timed h2load run against one path."""

    path: str
    in_flight: int
    calls: int
    seconds: float
    p50_ms: float
    p99_ms: float
    backend_cpu_s: float
    proxy_cpu_s: float

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds


@dataclass
class Path_:
    """Where a path's calls go, what they carry, and whose CPU counts as the proxy's."""

    address: str
    headers: tuple[tuple[str, str], ...]
    proxy_pid: int | None
    url_path: str = METHOD
    # An HTTP/JSON GET through the transcoder (no body), whose good answer has this many bytes.
    json_answer_bytes: int | None = None


@dataclass(frozen=True)
class Load:
    """What every h2load run of one measurement shares: the request body (a framed message,
    in a file), the streams in flight, the seconds timed, the DATA bytes of one good answer
    (to check that every answer was one), the backend whose CPU counts, a scratch folder."""

    body: Path
    in_flight: int
    seconds: float
    answer_bytes: int
    backend_pid: int
    scratch: Path


def frame(message: bytes) -> bytes:
    """A gRPC length-prefixed message: what h2load sends as the request body."""
    return b"\x00" + len(message).to_bytes(4, "big") + message


async def h2load(path: Path_, name: str, load: Load) -> Run:
    """One run: `load.in_flight` streams on one connection for `load.seconds`, after a 1 s
    warm-up."""
    in_flight, seconds, answer_bytes = load.in_flight, load.seconds, load.answer_bytes
    log = load.scratch / f"{name}-{in_flight}.log"
    log.unlink(missing_ok=True)
    # A client with a deadline, as gRPC clients have: every path carries the same one.
    headers = [
        ("content-type", "application/grpc"),
        ("te", "trailers"),
        ("grpc-timeout", "30S"),
        *path.headers,
    ]
    request = [f"-d{load.body}"]
    if path.json_answer_bytes is not None:
        headers = [("accept", "application/json"), *path.headers]
        request = []
        answer_bytes = path.json_answer_bytes
    args = [
        "h2load",
        f"http://{path.address}{path.url_path}",
        "-c1",
        "-t1",
        f"-m{in_flight}",
        *request,
        *(f"-H{key}: {value}" for key, value in headers),
    ]
    # A warm-up run of its own (h2load's --warm-up-time counts its DATA bytes in the totals,
    # which would blur the check that every answer was a good one).
    warm = await asyncio.create_subprocess_exec(
        *args, "-D1", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    await warm.wait()
    args += [f"-D{seconds:g}", f"--log-file={log}"]
    backend_cpu = process_cpu_seconds(load.backend_pid)
    proxy_cpu = process_cpu_seconds(path.proxy_pid) if path.proxy_pid else 0.0
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output = (await process.communicate())[0].decode()
    backend_cpu = process_cpu_seconds(load.backend_pid) - backend_cpu
    proxy_cpu = (process_cpu_seconds(path.proxy_pid) - proxy_cpu) if path.proxy_pid else 0.0
    durations = sorted(
        int(line.split("\t")[2]) / 1000 for line in log.read_text().splitlines() if line
    )
    calls = len(durations)
    data = _data_bytes(output)
    if process.returncode != 0 or calls == 0 or data != calls * answer_bytes:
        raise RuntimeError(
            f"{name} at {in_flight} in flight: {calls} calls, {data} DATA bytes, expected "
            f"{calls * answer_bytes} (errors look like answers to h2load):\n{output}"
        )
    return Run(
        name,
        in_flight,
        calls,
        seconds,
        percentile(durations, 0.50),
        percentile(durations, 0.99),
        backend_cpu,
        proxy_cpu,
    )


def _data_bytes(output: str) -> int:
    """The `data` figure of h2load's `traffic:` line: response DATA bytes received."""
    # traffic: 1.01MB (1059999) total, 123.45KB (126414) headers (...), 422.19KB (432324) data
    found = re.search(r"^traffic:.*\((\d+)\) data", output, re.MULTILINE)
    if found is not None:
        return int(found.group(1))
    raise RuntimeError(f"no traffic line in h2load's output:\n{output}")


def summary(rounds: list[dict[str, Run]], baseline: str = "direct") -> dict[str, Any]:
    """Per path: calls/s, p50, p99 and CPU per call, medians over rounds; ratios against the
    baseline path and differences of p50 taken within each round."""
    result: dict[str, Any] = {}
    for name in rounds[0]:
        per_round = [
            {
                "calls_per_s": r[name].per_second,
                "ratio_to_direct": r[name].per_second / r[baseline].per_second,
                "p50_ms": r[name].p50_ms,
                "p99_ms": r[name].p99_ms,
                "added_p50_ms": r[name].p50_ms - r[baseline].p50_ms,
                "proxy_cpu_us_per_call": r[name].proxy_cpu_s / r[name].calls * 1e6,
                "backend_cpu_us_per_call": r[name].backend_cpu_s / r[name].calls * 1e6,
            }
            for r in rounds
        ]
        result[name] = {
            key: round(median([figures[key] for figures in per_round]), 3) for key in per_round[0]
        }
        result[name]["rounds"] = per_round
    return result


def relative(rounds: list[dict[str, Run]], path: str, peer: str) -> dict[str, float]:
    """`path` against `peer` within each round: throughput ratio and p50 difference."""
    return {
        "ratio": round(median([r[path].per_second / r[peer].per_second for r in rounds]), 3),
        "added_p50_ms": round(median([r[path].p50_ms - r[peer].p50_ms for r in rounds]), 3),
    }


async def place_order(address: str, metadata: tuple[tuple[str, str], ...]) -> str:
    """The order every GetOrder of the run reads."""
    line = orders_pb2.OrderLine(sku="TEA-1", quantity=1)  # at the catalogue's price
    async with grpc.aio.insecure_channel(address) as channel:
        placed = await orders_pb2_grpc.OrderServiceStub(channel).PlaceOrder(
            orders_pb2.PlaceOrderRequest(request_id="bench-1", customer_id="bench", lines=[line]),
            metadata=metadata,
            wait_for_ready=True,
            timeout=30,
        )
    return str(placed.order.order_id)


async def answer_size(address: str, order_id: str, metadata: tuple[tuple[str, str], ...]) -> int:
    """The framed size of one good GetOrder answer."""
    async with grpc.aio.insecure_channel(address) as channel:
        answer = await orders_pb2_grpc.OrderServiceStub(channel).GetOrder(
            orders_pb2.GetOrderRequest(order_id=order_id), metadata=metadata, timeout=10
        )
    return 5 + answer.ByteSize()


async def measure(
    paths: dict[str, Path_],
    backend_pid: int,
    request: bytes,
    answer_bytes: int,
    seconds: float,
    repeats: int,
) -> dict[str, Any]:
    """Every path at each concurrency, `repeats` rounds, the order rotating between rounds."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="accord-h2load-") as tmp:
        scratch = Path(tmp)
        body = scratch / "request.bin"
        body.write_bytes(frame(request))
        for in_flight in CONCURRENCY:
            load = Load(body, in_flight, seconds, answer_bytes, backend_pid, scratch)
            rounds = await rotating_rounds(repeats, paths, load)
            results[f"in_flight_{in_flight}"] = {
                "paths": summary(rounds),
                "rounds": [{k: asdict(v) for k, v in r.items()} for r in rounds],
                "_rounds": rounds,
            }
    return results


async def rotating_rounds(
    repeats: int, paths: dict[str, Path_], load: Load
) -> list[dict[str, Run]]:
    """`repeats` rounds of one h2load run of `load` per path, the order rotating between
    rounds so that no path always runs first; each round's runs in the order of `paths`."""
    names = list(paths)
    rounds: list[dict[str, Run]] = []
    for index in range(repeats):
        order = names[index % len(names) :] + names[: index % len(names)]
        runs = {}
        for name in order:
            runs[name] = await h2load(paths[name], name, load)
        rounds.append({name: runs[name] for name in names})
    return rounds


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def require_h2load() -> None:
    if shutil.which("h2load") is None:
        raise RuntimeError(INSTALL)


async def spawn(module: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
    )


async def wait_ready(address: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with grpc.aio.insecure_channel(address) as channel:
        await asyncio.wait_for(channel.channel_ready(), max(0.1, deadline - time.monotonic()))


async def bench(seconds: float, repeats: int, old_gateway: Path | None = None) -> dict[str, Any]:
    from bench.edge_paths import start_paths  # the processes of one run

    require_h2load()
    async with start_paths(old_gateway) as started:
        load_before = load_average()
        results = await measure(
            started.paths,
            started.backend_pid,
            started.request,
            started.answer_bytes,
            seconds,
            repeats,
        )
        for figures in results.values():
            rounds = figures.pop("_rounds")
            figures["relative"] = {
                f"{path} vs {peer}": relative(rounds, path, peer)
                for path, peer in started.comparisons
            }
        results["load_average_before"] = load_before
        results["load_average_after"] = load_average()
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each timed run")
    parser.add_argument("--repeats", type=int, default=3, help="rounds per concurrency")
    parser.add_argument(
        "--old-gateway",
        type=Path,
        default=None,
        help="a checkout of the commit before the Envoy edge (`git archive e1d64ac`): "
        "measures the retired Python gateway in the same rounds",
    )
    args = parser.parse_args()
    results = asyncio.run(bench(args.seconds, args.repeats, args.old_gateway))
    report = {
        "command": "python -m bench.edge_bench "
        f"--seconds {args.seconds:g} --repeats {args.repeats}",
        "machine": machine(),
        "backend": "services.orders (acme.orders.v2 GetOrder), embedded NATS JetStream",
        "load_generator": "h2load, one connection, -m = calls in flight",
        **results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    for key, figures in results.items():
        if not key.startswith("in_flight"):
            continue
        for name, path in figures["paths"].items():
            print(
                f"{key} {name}: {path['calls_per_s']:.0f} calls/s "
                f"({path['ratio_to_direct']}x direct), p50 {path['p50_ms']} ms, "
                f"p99 {path['p99_ms']} ms, proxy CPU {path['proxy_cpu_us_per_call']:.0f} us/call"
            )
        for pair, figure in figures["relative"].items():
            print(f"{key} {pair}: {figure['ratio']}x, p50 {figure['added_p50_ms']:+} ms")
    print(f"load average {results['load_average_before']} -> {results['load_average_after']}")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
