"""A service's gRPC health follows its NATS connection, and an outage logs one line per event.

Before: services stayed SERVING while NATS was away, and each wrote about 13 full tracebacks
per outage, one per reconnect attempt.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from accord.service import RunningService
from accord.settings import CommonSettings
from accord.tooling import devkeys
from accord.tooling.nats_config import ServerSecurity
from accord.tooling.nats_server import NatsServer
from accord.tooling.streams import provision_all
from services.payments import app as payments_app

pytestmark = pytest.mark.integration

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.fixture
async def server(tmp_path: Path, nats_security: ServerSecurity) -> AsyncIterator[NatsServer]:
    nats_server = NatsServer(tmp_path / "jetstream", security=nats_security)
    await nats_server.start()
    try:
        yield nats_server
    finally:
        await nats_server.stop()


async def health_becomes(address: str, status: int, within: float = 20.0) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        async with asyncio.timeout(within):
            while True:
                reply = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
                if reply.status == status:
                    return
                await asyncio.sleep(0.05)


async def test_health_follows_the_nats_connection_and_the_log_stays_short(
    server: NatsServer, tmp_path: Path, repo_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    devkeys.ensure_dev_keys(tmp_path)
    await provision_all(CommonSettings(nats_url=server.address), repo_root)
    settings = payments_app.SERVICE.settings(port=0, nats_url=server.address, home=tmp_path)
    service: RunningService = await payments_app.SERVICE.start(settings)
    address = f"127.0.0.1:{service.port}"
    stops: list[Callable[[], Awaitable[None]]] = [service.stop]
    try:
        await health_becomes(address, SERVING)
        with caplog.at_level(logging.INFO):
            await server.kill()
            await health_becomes(address, NOT_SERVING)
            await asyncio.sleep(2)  # a few reconnect attempts fail meanwhile
            restarted = NatsServer(server.store_dir, port=server.port, security=server.security)
            await restarted.start()
            stops.append(restarted.stop)
            await health_becomes(address, SERVING)
        nats_lines = [r for r in caplog.records if r.name.startswith(("accord.nats", "nats"))]
        assert any("NOT_SERVING" in r.getMessage() for r in nats_lines)
        assert any("SERVING" in r.getMessage() for r in nats_lines)
        assert len(nats_lines) >= 3  # lost, at least one failed attempt, back
        assert not [r for r in caplog.records if r.exc_info], "no traceback for an outage"
    finally:
        for stop in stops:
            await stop()
