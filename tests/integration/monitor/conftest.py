"""The monitor with the real support and notifications services, on the session's nats-server.

The monitor's calls go straight to the two services here, signed as `svc-monitor` the way
the gateway signs them (tests/e2e goes through the real gateway instead).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from joserfc.jwk import OKPKey

from accord.service import RunningService
from accord.tooling.nats_server import NatsServer
from services.monitor import app as monitor_app
from services.monitor.calls import SCOPES
from services.notifications.app import SERVICE as NOTIFICATIONS
from tests.integration.support.conftest import (  # noqa: F401
    staff,
    stub_as,
    support_service,
)
from tests.support.principals import channel_as
from tests.support.running import service_fixture

MONITOR_SUBJECT = "svc-monitor"

notifications_service = service_fixture(NOTIFICATIONS)


@pytest.fixture(scope="session")
async def monitor_service(
    nats_server: NatsServer,
    accord_home: Path,
    gateway_key: OKPKey,
    support_service: RunningService,  # noqa: F811
    notifications_service: RunningService,
) -> AsyncIterator[RunningService]:
    channels = [
        channel_as(f"127.0.0.1:{service.port}", gateway_key, MONITOR_SUBJECT, *SCOPES)
        for service in (support_service, notifications_service)
    ]
    monitor = monitor_app.SERVICE.with_assembly(monitor_app.assemble_over(*channels))
    settings = monitor.settings(port=0, nats_url=nats_server.url, home=accord_home)
    service = await monitor.start(settings)
    try:
        yield service
    finally:
        await service.stop()
        for channel in channels:
            await channel.close()
