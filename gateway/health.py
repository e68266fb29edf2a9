"""grpc.health.v1 for the gateway, following its backends.

Each routed service is SERVING while at least one of its backends is healthy; the overall
status ("") is SERVING while every routed service is.
"""

import asyncio
from collections.abc import Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio

from gateway.backends import BackendPool

_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class GatewayHealth:
    def __init__(self, pools: Mapping[str, BackendPool]) -> None:
        self.pools = pools  # service full name → pool
        self.servicer = aio.HealthServicer()
        self._pending: set[asyncio.Task[None]] = set()
        for pool in set(pools.values()):
            pool.on_change.append(self._changed)

    def add_to(self, server: grpc.aio.Server) -> None:
        health_pb2_grpc.add_HealthServicer_to_server(self.servicer, server)

    async def refresh(self) -> None:
        for service, pool in self.pools.items():
            await self.servicer.set(service, _SERVING if pool.serving else _NOT_SERVING)
        every = all(pool.serving for pool in self.pools.values())
        await self.servicer.set("", _SERVING if every else _NOT_SERVING)

    async def shutdown(self) -> None:
        await self.servicer.enter_graceful_shutdown()

    def _changed(self) -> None:
        task = asyncio.get_running_loop().create_task(self.refresh())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
