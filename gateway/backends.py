"""Backends: one channel per address, round-robin over the healthy ones, health checked.

A backend is healthy until a health check or a failed connection says otherwise; a
background grpc.health.v1 check per address brings it back once it answers SERVING again.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

log = logging.getLogger(__name__)

_SERVING = health_pb2.HealthCheckResponse.SERVING

# After a backend restarts, its channel should notice within a health-check period or two,
# not after grpc's default backoff of up to two minutes.
_CHANNEL_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 2000),
)


class Backend:
    """One address and its channel."""

    def __init__(self, address: str, options: Sequence[tuple[str, int]]) -> None:
        self.address = address
        self.channel = grpc.aio.insecure_channel(address, options=[*_CHANNEL_OPTIONS, *options])
        self.healthy = True
        # Multicallables are made once per method: making one per call costs measurable CPU.
        self._unary_unary: dict[str, grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]] = {}
        self._unary_stream: dict[str, grpc.aio.UnaryStreamMultiCallable[bytes, bytes]] = {}
        self._stream_unary: dict[str, grpc.aio.StreamUnaryMultiCallable[bytes, bytes]] = {}
        self._stream_stream: dict[str, grpc.aio.StreamStreamMultiCallable[bytes, bytes]] = {}

    def unary_unary(self, path: str) -> grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]:
        method = self._unary_unary.get(path)
        if method is None:
            method = self._unary_unary[path] = self.channel.unary_unary(path)
        return method

    def unary_stream(self, path: str) -> grpc.aio.UnaryStreamMultiCallable[bytes, bytes]:
        method = self._unary_stream.get(path)
        if method is None:
            method = self._unary_stream[path] = self.channel.unary_stream(path)
        return method

    def stream_unary(self, path: str) -> grpc.aio.StreamUnaryMultiCallable[bytes, bytes]:
        method = self._stream_unary.get(path)
        if method is None:
            method = self._stream_unary[path] = self.channel.stream_unary(path)
        return method

    def stream_stream(self, path: str) -> grpc.aio.StreamStreamMultiCallable[bytes, bytes]:
        method = self._stream_stream.get(path)
        if method is None:
            method = self._stream_stream[path] = self.channel.stream_stream(path)
        return method


class BackendPool:
    """The backends of one set of addresses, shared by every service routed to that set."""

    def __init__(self, addresses: Sequence[str], options: Sequence[tuple[str, int]] = ()) -> None:
        self.backends = [Backend(address, options) for address in addresses]
        self._next = 0
        self._tasks: list[asyncio.Task[None]] = []
        self.on_change: list[Callable[[], None]] = []

    @property
    def serving(self) -> bool:
        return any(backend.healthy for backend in self.backends)

    def pick(self) -> Backend | None:
        """The next healthy backend in turn, or None when none is healthy."""
        count = len(self.backends)
        for offset in range(count):
            backend = self.backends[(self._next + offset) % count]
            if backend.healthy:
                self._next = (self._next + offset + 1) % count
                return backend
        return None

    def mark(self, backend: Backend, healthy: bool) -> None:
        if backend.healthy == healthy:
            return
        backend.healthy = healthy
        log.warning("backend %s is %s", backend.address, "healthy" if healthy else "unhealthy")
        for listener in self.on_change:
            listener()

    def start(self, interval_s: float, timeout_s: float) -> None:
        for backend in self.backends:
            task = asyncio.create_task(self._watch(backend, interval_s, timeout_s))
            self._tasks.append(task)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for backend in self.backends:
            await backend.channel.close()

    async def _watch(self, backend: Backend, interval_s: float, timeout_s: float) -> None:
        stub = health_pb2_grpc.HealthStub(backend.channel)
        while True:
            self.mark(backend, await _check(stub, timeout_s))
            await asyncio.sleep(interval_s)


async def _check(stub: health_pb2_grpc.HealthStub, timeout_s: float) -> bool:
    try:
        response = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout_s)
    except grpc.aio.AioRpcError as error:
        # A backend without a health service still answers: reachable counts as healthy.
        return error.code() == grpc.StatusCode.UNIMPLEMENTED
    return bool(response.status == _SERVING)
