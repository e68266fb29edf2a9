"""The devices service on its own nats-server, with notifications behind a real gateway.

Devices tells owners about suggestions by calling notifications through the gateway, so
the three run here as they do in production: devices and notifications as services, the
gateway in front of both. Devices needs the gateway's address when it starts, so the
gateway's port is chosen first. Its own nats-server, so that the short retries set here
(an unknown device is dead-lettered after a second) never meet another test's consumers.
"""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import grpc
import nats
import pytest
from acme.devices.v1 import devices_pb2_grpc as pb_grpc
from nats.aio.client import Client as NatsClient

from accord.call_metadata import channel_with_metadata
from accord.service import RunningService
from accord.tooling import devkeys
from accord.tooling.nats_cluster import free_ports
from accord.tooling.nats_config import ServerSecurity
from accord.tooling.nats_server import NatsServer
from gateway.server import Gateway
from services.devices.app import SERVICE as DEVICES
from services.notifications.app import SERVICE as NOTIFICATIONS
from tests.support.principals import stubs_as
from tests.support.running import edge

OWNER_SCOPES = ("devices:read", "devices:write", "notifications:read")
# Short, so that a report of an unknown device is dead-lettered within a second.
RETRY_DELAYS = (0.1, 0.2)
MAX_DELIVERIES = 3


@dataclass
class SmartHome:
    devices: RunningService
    gateway: Gateway
    home: Path
    nc: NatsClient
    server: NatsServer

    def direct(
        self, subject: str, *scopes: str
    ) -> AbstractAsyncContextManager["pb_grpc.DeviceServiceAsyncStub"]:
        """The devices service itself, called as the gateway would sign `subject`."""
        key = devkeys.ensure_principal_key(self.home)
        address = f"127.0.0.1:{self.devices.port}"
        opener = stubs_as(address, key, pb_grpc.DeviceServiceStub, *OWNER_SCOPES)
        stub: AbstractAsyncContextManager[pb_grpc.DeviceServiceAsyncStub] = opener(subject, *scopes)
        return stub

    def through_gateway(self, subject: str, *scopes: str) -> grpc.aio.Channel:
        token = devkeys.mint_token(subject, scopes or OWNER_SCOPES, home=self.home)
        bearer = [("authorization", f"Bearer {token}")]
        return channel_with_metadata(f"127.0.0.1:{self.gateway.port}", lambda method: bearer)


@pytest.fixture(scope="session")
async def smart_home(
    tmp_path_factory: pytest.TempPathFactory, nats_security: ServerSecurity
) -> AsyncIterator[SmartHome]:
    server = NatsServer(tmp_path_factory.mktemp("devices-jetstream"), security=nats_security)
    await server.start()
    home = tmp_path_factory.mktemp("devices-home")
    devkeys.ensure_dev_keys(home)
    gateway_port = free_ports(1)[0]
    running: list[RunningService] = []
    nc = await nats.connect(server.url)
    try:
        notifications = await NOTIFICATIONS.start(
            NOTIFICATIONS.settings(port=0, nats_url=server.url, home=home)
        )
        running.append(notifications)
        settings = DEVICES.settings(
            port=0,
            nats_url=server.url,
            home=home,
            gateway_address=f"127.0.0.1:{gateway_port}",
            adjustment_retry_delays=RETRY_DELAYS,
            adjustment_max_deliveries=MAX_DELIVERIES,
        )
        devices = await DEVICES.start(settings)
        running.append(devices)
        routes = {
            name: [f"127.0.0.1:{service.port}"]
            for service, declared in ((notifications, NOTIFICATIONS), (devices, DEVICES))
            for name in declared.services
        }
        async with edge(home, routes, f"127.0.0.1:{gateway_port}", rate_limit_per_s=0) as gateway:
            yield SmartHome(devices, gateway, home, nc, server)
    finally:
        for service in reversed(running):
            await service.stop()
        await nc.close()
        await server.stop()
