"""Real servers for one test, a module or a session: started, yielded, always stopped.

`async with nats_in(folder, security) as server:` is a nats-server of the generated
configuration with its JetStream store in `folder`; `async with serving(SERVICE,
settings) as service:` is a declared service (accord.skeleton) started as `make run` starts it.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from accord.service import RunningService, S
from accord.skeleton import Service
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
async def serving(
    declared: Service[S, Any], settings: S, grace: float = 5.0
) -> AsyncIterator[RunningService]:
    """`grace`: seconds the stop leaves calls in flight."""
    service = await declared.start(settings)
    try:
        yield service
    finally:
        await service.stop(grace)
