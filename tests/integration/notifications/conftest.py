"""The notifications service on its own nats-server, behind a real gateway.

Its own server, not the session's: another notifications instance (tests/integration/
orders) shares the durable consumers there, with the contract's long webhook backoffs;
here webhook retries are short so that retry and dead-letter tests take a second.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import grpc
import nats
import pytest
from acme.notifications.v1 import notifications_pb2_grpc as pb_grpc
from acme_events.banking import Application as Banking
from acme_events.orders import Application as Orders
from joserfc.jwk import OKPKey
from nats.aio.client import Client as NatsClient

from accord.events import EventSettings
from accord.service import RunningService
from accord.tooling import devkeys
from accord.tooling.nats_server import NatsServer
from gateway.server import Gateway
from services.notifications import app as notifications_app
from tests.support.principals import channel_as
from tests.support.running import edge, nats_server_fixture

# Short, so that a delivery fails over in tenths of a second; six attempts span about 2 s.
RETRY_DELAYS = (0.1, 0.3, 0.4, 0.4, 0.5)
MAX_ATTEMPTS = 6


notifications_nats = nats_server_fixture("notifications-jetstream")


@pytest.fixture(scope="session")
def notifications_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("notifications-home")
    devkeys.ensure_dev_keys(home)
    return home


@pytest.fixture(scope="session")
async def nc(notifications_nats: NatsServer) -> AsyncIterator[NatsClient]:
    async with await nats.connect(notifications_nats.url) as client:
        yield client


@pytest.fixture(scope="session")
async def notifications(
    notifications_nats: NatsServer, notifications_home: Path, nc: NatsClient
) -> AsyncIterator[RunningService]:
    # It provisions its own contract and the streams it reads (ORDERS, BANKING) by itself.
    settings = notifications_app.SERVICE.settings(
        port=0,
        nats_url=notifications_nats.url,
        home=notifications_home,
        webhook_retry_delays=RETRY_DELAYS,
        webhook_max_attempts=MAX_ATTEMPTS,
        webhook_timeout_seconds=2.0,
        # The receivers of these tests listen on loopback, which webhooks may not reach by
        # default: opened here, as development would.
        webhook_allowed_networks=("127.0.0.0/8",),
    )
    service = await notifications_app.SERVICE.start(settings)
    try:
        yield service
    finally:
        await service.stop()


@pytest.fixture(scope="session")
def principal_key(notifications_home: Path) -> OKPKey:
    return devkeys.ensure_principal_key(notifications_home)


# The async stub type exists for type checkers only (the .pyi), hence the quotes.
AsCustomer = Callable[..., Awaitable["pb_grpc.NotificationServiceAsyncStub"]]


@pytest.fixture
async def as_customer(
    notifications: RunningService, principal_key: OKPKey
) -> AsyncIterator[AsCustomer]:
    """Stubs that call the service directly, signed as the gateway would sign `subject`."""
    channels: list[grpc.aio.Channel] = []

    async def open_as(subject: str, *scopes: str) -> "pb_grpc.NotificationServiceAsyncStub":
        scopes = scopes or ("notifications:read", "notifications:write")
        channel = channel_as(f"127.0.0.1:{notifications.port}", principal_key, subject, *scopes)
        channels.append(channel)
        return pb_grpc.NotificationServiceStub(channel)

    try:
        yield open_as
    finally:
        for channel in channels:
            await channel.close()


@pytest.fixture(scope="session")
async def gateway(
    notifications: RunningService, notifications_home: Path
) -> AsyncIterator[Gateway]:
    routes = {"acme.notifications": [f"127.0.0.1:{notifications.port}"]}
    async with edge(notifications_home, routes) as started:
        yield started


@pytest.fixture
def orders_events(nc: NatsClient) -> Orders:
    """Publishes orders' events as the orders service would (never started: no consumers)."""
    return Orders(nc, settings=EventSettings(source="/acme/orders"))


@pytest.fixture
def banking_events(nc: NatsClient) -> Banking:
    return Banking(nc, settings=EventSettings(source="/acme/banking"))
