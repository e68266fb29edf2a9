"""A real gateway in front of services a test started, without the whole platform."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from accord.auth import AuthSettings
from accord.descriptors import load_image
from gateway.server import Gateway
from gateway.settings import GatewaySettings


def gateway_settings(
    routes: dict[str, int], auth: dict[str, str], listen: str = "127.0.0.1:0", **more: Any
) -> GatewaySettings:
    """A gateway on `listen` that routes each package (`acme.inventory`) to the service on
    that loopback port, with these auth settings (`ACCORD_HOME`, `mode`...); no metrics
    listener, and backends' health checked every tenth of a second. `more` overrides."""
    return GatewaySettings.model_validate(
        {
            "listen": listen,
            "metrics_listen": "",
            "health_check_interval_s": 0.1,
            "routes": {package: [f"127.0.0.1:{port}"] for package, port in routes.items()},
            "auth": AuthSettings.model_validate(auth),
            **more,
        }
    )


@asynccontextmanager
async def gateway_running(settings: GatewaySettings) -> AsyncIterator[Gateway]:
    """The gateway of `settings` over the compiled contracts, started and always stopped."""
    gateway = Gateway(settings, load_image())
    try:
        await gateway.start()  # a start that fails half-way is stopped too (Envoy, ports)
        yield gateway
    finally:
        await gateway.stop(0)
