"""Real servers for one test, a module or a session: started, yielded, always stopped.

`async with nats_in(folder, security) as server:` is a nats-server of the generated
configuration with its JetStream store in `folder`; `async with serving(name, settings,
build) as service:` is a service started as `make run` starts it.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from accord.service import Build, RunningService, S, start_service
from accord.tooling.nats_config import ServerSecurity
from accord.tooling.nats_server import NatsServer


@asynccontextmanager
async def nats_in(
    folder: Path, security: ServerSecurity | None = None
) -> AsyncIterator[NatsServer]:
    server = NatsServer(folder, security=security)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def serving(name: str, settings: S, build: Build[S]) -> AsyncIterator[RunningService]:
    service = await start_service(name, settings, build)
    try:
        yield service
    finally:
        await service.stop()
