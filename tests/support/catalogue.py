"""The gateway orders asks for prices through, for tests that run orders without the whole
platform: a real gateway routing inventory only, over the test's own home (keys)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from accord.auth import AuthSettings
from accord.descriptors import load_image
from accord.service import RunningService
from gateway.server import Gateway
from gateway.settings import GatewaySettings


@asynccontextmanager
async def catalogue_gateway(
    home: Path, inventory: RunningService, listen: str
) -> AsyncIterator[Gateway]:
    """A gateway on `listen` (the `gateway_address` orders was given) in front of inventory."""
    settings = GatewaySettings.model_validate(
        {
            "listen": listen,
            "metrics_listen": "",
            "health_check_interval_s": 0.1,
            "rate_limit_per_s": 0,
            "routes": {"acme.inventory": [f"127.0.0.1:{inventory.port}"]},
            "auth": AuthSettings.model_validate({"ACCORD_HOME": str(home)}),
        }
    )
    gateway = Gateway(settings, load_image())
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop(0)
