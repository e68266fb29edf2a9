"""The whole platform in this process: every service of services/ and the real gateway.

Services are found the way `make run` finds them, started on free ports against the
session's nats-server, with every contract provisioned first; the gateway routes each
service's APIs to it. Tests call the gateway only, with development tokens.

A service whose tests need shorter windows or time-outs than its defaults names them in
`tests/e2e/overrides/<service>.py` (`OVERRIDES = {"field": value}`), applied to it alone.
"""

import asyncio
import importlib
import json
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import nats
import pytest
from nats.errors import TimeoutError as NatsTimeout

from accord.call_metadata import channel_with_metadata
from accord.ports import PortReservation
from accord.service import RunningService
from accord.settings import CommonSettings
from accord.tooling import devkeys
from accord.tooling.nats_server import NatsServer
from accord.tooling.services import discover_services
from accord.tooling.streams import provision_all
from gateway.server import Gateway
from tests.support.running import edge, nats_server_fixture


@dataclass
class Platform:
    gateway: Gateway
    home: Path
    services: dict[str, RunningService]
    nats_url: str  # for tests that publish as a device or an app would

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.gateway.port}"

    def token(self, subject: str, *scopes: str) -> str:
        return devkeys.mint_token(subject, scopes, home=self.home)

    def service_address(self, service_full_name: str) -> str:
        """The port of the service process that serves `service_full_name`, for calls that
        skip the edge (each service enforces its own contract too)."""
        for running in self.services.values():
            if service_full_name in running.wiring.services:
                return f"127.0.0.1:{running.port}"
        raise KeyError(service_full_name)

    async def routable(self, timeout: float = 10.0) -> None:
        """Wait until Envoy sees every backend healthy (its admin endpoint's host flags)."""
        assert self.gateway.envoy is not None
        clusters = self.gateway.envoy.admin_url("/clusters")

        def unhealthy() -> list[str]:
            with urllib.request.urlopen(clusters, timeout=1) as response:
                lines = response.read().decode().splitlines()
            return [
                line
                for line in lines
                if "::health_flags::" in line and line.rsplit("::", 1)[1] != "healthy"
            ]

        async with asyncio.timeout(timeout):
            while await asyncio.to_thread(unhealthy):  # noqa: ASYNC110 (polling another process)
                await asyncio.sleep(0.05)

    def channel(self, subject: str, *scopes: str) -> grpc.aio.Channel:
        """A channel to the gateway whose every call carries `subject`'s token."""
        bearer = [("authorization", f"Bearer {self.token(subject, *scopes)}")]
        return channel_with_metadata(self.address, lambda method: bearer)


# The platform's own nats-server. Its services follow every order event (payments,
# inventory, shipping), so on the session's server they would move the orders of the
# integration tests that run after e2e while this session-wide platform lives.
platform_nats = nats_server_fixture("platform-jetstream")

# The session's platform, once started.
_STARTED: list[Platform] = []


@pytest.fixture(autouse=True)
async def edge_sees_every_backend() -> None:
    """Each test starts once the edge routes to every backend. Between tests the session's
    event loop stands still, and with it the services this process runs: a long synchronous
    step (a fixture that compiles or installs) outlasts Envoy's health-check timeout, and the
    edge takes the backends out until they answer a check again."""
    for platform in _STARTED:
        await platform.routable()


@pytest.fixture(scope="session")
async def platform(
    platform_nats: NatsServer, tmp_path_factory: pytest.TempPathFactory, repo_root: Path
) -> AsyncIterator[Platform]:
    nats_server = platform_nats
    home = tmp_path_factory.mktemp("platform-home")
    devkeys.ensure_dev_keys(home)
    await provision_all(CommonSettings(nats_url=nats_server.address), repo_root)
    running: dict[str, RunningService] = {}
    # Known before the services start: those that call others do it through the gateway.
    # Held from now until Envoy listens on it (accord.ports).
    reservation = PortReservation()
    gateway_address = f"127.0.0.1:{reservation.port}"
    try:
        routes: dict[str, list[str]] = {}
        for declared in discover_services():
            settings = declared.settings(
                port=0,
                nats_url=nats_server.url,
                home=home,
                gateway_address=gateway_address,
                **_overrides(declared.name),
            )
            service = await declared.start(settings)
            running[declared.name] = service
            routes.update({name: [f"127.0.0.1:{service.port}"] for name in declared.services})
        async with edge(
            home,
            routes,
            gateway_address,
            mode="development",
            rate_limit_per_s=0,
            peer_rate_limit_per_s=0,
        ) as gateway:
            reservation.release()
            _STARTED.append(Platform(gateway, home, running, nats_server.url))
            yield _STARTED[-1]
    finally:
        _STARTED.clear()
        reservation.release()
        for service in reversed(running.values()):
            await service.stop()


def _overrides(service: str) -> dict[str, Any]:
    name = f"tests.e2e.overrides.{service}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as missing:
        if missing.name != name:
            raise
        return {}
    overrides: dict[str, Any] = module.OVERRIDES
    return overrides


async def stored_events(nats_url: str, subject: str) -> list[dict[str, Any]]:
    """The JSON payload of every message stored on `subject` so far, as any NATS client reads
    them (an ordered consumer that stops at the last one)."""
    nc = await nats.connect(nats_url)
    found: list[dict[str, Any]] = []
    try:
        subscription = await nc.jetstream().subscribe(subject, ordered_consumer=True)
        while True:
            try:
                msg = await subscription.next_msg(timeout=1)
            except NatsTimeout:
                return found
            found.append(json.loads(msg.data))
            if msg.metadata.num_pending == 0:
                return found
    finally:
        await nc.close()
