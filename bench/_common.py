"""What every benchmark shares: a fresh nats-server, medians, CPU time, the machine."""

import asyncio
import contextlib
import os
import platform
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.tooling.nats_config import ServerSecurity
from accord.tooling.nats_server import NatsServer

TICKS = os.sysconf("SC_CLK_TCK")


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
