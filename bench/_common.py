"""What every benchmark shares: a fresh nats-server, medians, CPU time, the machine."""

import asyncio
import contextlib
import os
import platform
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.tooling.nats_config import ServerSecurity
from accord.tooling.nats_server import NatsServer
from accord.tooling.services import discover_services

TICKS = os.sysconf("SC_CLK_TCK")
REPO = Path(__file__).resolve().parent.parent


@contextlib.asynccontextmanager
async def fresh_nats_server(
    security: ServerSecurity | None = None,
) -> AsyncIterator[NatsServer]:
    """A nats-server with JetStream on a free port and a temporary store, stopped after;
    with `security`, running that configuration."""
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        server = NatsServer(Path(tmp) / "jetstream", security=security)
        await server.start()
        try:
            yield server
        finally:
            await server.stop()


async def drain(stream: asyncio.StreamReader) -> None:
    """Keep reading a platform's output, so that no process ever blocks on a full pipe (the
    gateway writes an access-log line per call)."""
    while await stream.read(65536):
        pass


def run_environment(home: Path, **settings: str) -> dict[str, str]:
    """The environment of `accord run` as `make run` starts it in development, under `home`:
    the embedded nats-server (no NATS_URL), the gateway and every service on a free port;
    `settings` (environment variables) on top."""
    env = {
        **os.environ,
        "ACCORD_HOME": str(home),
        "ACCORD_MODE": "development",
        "ACCORD_GATEWAY_LISTEN": "127.0.0.1:0",
        "ACCORD_GATEWAY_METRICS_LISTEN": "127.0.0.1:0",
    }
    env.pop("NATS_URL", None)
    for service in discover_services():
        env[f"{service.settings.model_config.get('env_prefix', '')}PORT"] = "0"
    return env | settings


async def accord_run(
    env: dict[str, str], stderr: int = asyncio.subprocess.DEVNULL
) -> asyncio.subprocess.Process:
    """`python -m accord run` (what `make run` calls) from the repository's root in `env`
    (see `run_environment`): its banner on a pipe from stdout, nothing on stdin."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "accord",
        "run",
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )


@dataclass(frozen=True)
class Platform:
    """A running `accord run`: its home (keys), its gateway's address and its NATS URL."""

    home: Path
    gateway: str
    nats_url: str


@contextlib.asynccontextmanager
async def running_platform(prefix: str) -> AsyncIterator[Platform]:
    """`accord run` as `make run` starts it (development: its own keys and NATS identities,
    under a temporary home), with the gateway and every service on a free port and no rate
    limit; its output drained while it runs; stopped with SIGTERM after."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        home = Path(tmp)
        env = run_environment(
            home, ACCORD_GATEWAY_RATE_LIMIT_PER_S="0", ACCORD_GATEWAY_PEER_RATE_LIMIT_PER_S="0"
        )
        env.pop("ACCORD_NATS_IDENTITIES", None)  # the platform's own, under its home
        process = await accord_run(env)
        assert process.stdout is not None
        draining: asyncio.Task[None] | None = None
        try:
            gateway, nats_url = await _addresses(process.stdout)
            draining = asyncio.create_task(drain(process.stdout))
            yield Platform(home, gateway, nats_url)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            await process.wait()
            if draining is not None:
                await draining


async def _addresses(output: asyncio.StreamReader) -> tuple[str, str]:
    """The gateway's address and the NATS URL from `accord run`'s banner."""
    nats_url = ""
    while line := (await output.readline()).decode():
        if match := re.search(r"NATS\s+(nats://\S+)", line):
            nats_url = match.group(1)
        if match := re.search(r"gateway\s+(127\.0\.0\.1:\d+)", line):
            return match.group(1), nats_url
    raise RuntimeError("accord run ended before it was ready")


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat (fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass
class Timed:
    """One timed run: `count` operations in `seconds`, and the CPU this process used."""

    count: int
    seconds: float
    cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    @property
    def cpu_us_per_op(self) -> float:
        return self.cpu_seconds / self.count * 1e6


class Stopwatch:
    """Wall and this process's CPU time between `start()` and `stop(count)`."""

    def __init__(self) -> None:
        self._wall = 0.0
        self._cpu = 0.0

    def start(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()

    def stop(self, count: int) -> Timed:
        return Timed(count, time.perf_counter() - self._wall, time.process_time() - self._cpu)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of values already sorted."""
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
