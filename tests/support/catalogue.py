"""The gateway orders asks for prices through, for tests that run orders without the whole
platform: a real gateway routing inventory only, over the test's own home (keys)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from accord.service import RunningService
from gateway.server import Gateway
from tests.support.gateways import gateway_running, gateway_settings


@asynccontextmanager
async def catalogue_gateway(
    home: Path, inventory: RunningService, listen: str
) -> AsyncIterator[Gateway]:
    """A gateway on `listen` (the `gateway_address` orders was given) in front of inventory."""
    routes = {"acme.inventory": inventory.port}
    settings = gateway_settings(routes, {"ACCORD_HOME": str(home)}, listen, rate_limit_per_s=0)
    async with gateway_running(settings) as gateway:
        yield gateway
