"""The monitor with the real support and notifications services, on the session's nats-server.

The monitor's calls go straight to the two services here, signed as `svc-monitor` the way
the gateway signs them (tests/e2e goes through the real gateway instead).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from joserfc.jwk import OKPKey
from nats.aio.client import Client as NatsClient

from accord.service import RunningService, Wiring, start_service
from accord.tooling.nats_server import NatsServer
from services.monitor import app as monitor_app
from services.monitor.calls import SCOPES
from services.notifications import app as notifications_app
from tests.integration.orders.conftest import accord_home, gateway_key  # noqa: F401
from tests.integration.support.conftest import (  # noqa: F401
    staff,
    stub_as,
    support_service,
)
from tests.support.principals import channel_as

MONITOR_SUBJECT = "svc-monitor"


@pytest.fixture(scope="session")
async def notifications_service(
    nats_server: NatsServer,
    accord_home: Path,  # noqa: F811
    gateway_key: OKPKey,  # noqa: F811
) -> AsyncIterator[RunningService]:
    settings = notifications_app.Settings(port=0, nats_url=nats_server.url, home=accord_home)
    service = await start_service(notifications_app.NAME, settings, notifications_app.build)
    try:
        yield service
    finally:
        await service.stop()


@pytest.fixture(scope="session")
async def monitor_service(
    nats_server: NatsServer,
    accord_home: Path,  # noqa: F811
    gateway_key: OKPKey,  # noqa: F811
    support_service: RunningService,  # noqa: F811
    notifications_service: RunningService,
) -> AsyncIterator[RunningService]:
    channels = [
        channel_as(f"127.0.0.1:{service.port}", gateway_key, MONITOR_SUBJECT, *SCOPES)
        for service in (support_service, notifications_service)
    ]

    async def build(nc: NatsClient, settings: monitor_app.Settings) -> Wiring:
        return await monitor_app.wire(nc, settings, *channels)

    settings = monitor_app.Settings(port=0, nats_url=nats_server.url, home=accord_home)
    service = await start_service(monitor_app.NAME, settings, build)
    try:
        yield service
    finally:
        await service.stop()
        for channel in channels:
            await channel.close()
