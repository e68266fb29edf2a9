"""The control plane's view of the backends: a gRPC health check per address, like Envoy's.

Envoy routes by its own active health checks; the control plane checks the same addresses the
same way, so that the edge's aggregated grpc.health.v1 answer follows the services too.
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
    """One address, its channel, and whether its last health check passed."""

    def __init__(self, address: str, credentials: grpc.ChannelCredentials | None = None) -> None:
        self.address = address
        if credentials is None:
            self.channel = grpc.aio.insecure_channel(address, options=_CHANNEL_OPTIONS)
        else:
            self.channel = grpc.aio.secure_channel(address, credentials, options=_CHANNEL_OPTIONS)
        self.healthy = False


class BackendPool:
    """The backends of one set of addresses, shared by every service routed to that set."""

    def __init__(
        self, addresses: Sequence[str], credentials: grpc.ChannelCredentials | None = None
    ) -> None:
        self.backends = [Backend(address, credentials) for address in addresses]
        self._tasks: list[asyncio.Task[None]] = []
        self.on_change: list[Callable[[], None]] = []

    @property
    def serving(self) -> bool:
        return any(backend.healthy for backend in self.backends)

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
    except grpc.aio.AioRpcError:
        return False  # Envoy's gRPC health check counts a failed check as unhealthy too
    return bool(response.status == _SERVING)
