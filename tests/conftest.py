"""Session-wide fixtures: real servers, started once where safe, always stopped."""

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from accord.nats_server import NatsServer

# The tests run the platform in development mode, as `make run` does: keys and credentials
# are created under each test's ACCORD_HOME. A test of production mode sets it itself.
DEVELOPMENT = {"ACCORD_MODE": "development"}
os.environ.update(DEVELOPMENT)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees only the environment it sets: no NATS_URL or ports leak in or out."""
    for name in list(os.environ):
        if (name.startswith("ACCORD_") or name == "NATS_URL") and name not in DEVELOPMENT:
            monkeypatch.delenv(name)
    for name, value in DEVELOPMENT.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
async def nats_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[NatsServer]:
    """One real nats-server with JetStream for the session, on a free loopback port."""
    server = NatsServer(tmp_path_factory.mktemp("jetstream"))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def nats_client(nats_server: NatsServer) -> AsyncIterator[NatsClient]:
    client = await nats.connect(nats_server.url)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def jetstream(nats_client: NatsClient) -> JetStreamContext:
    return nats_client.jetstream()


@pytest.fixture
def unique() -> str:
    """A short id for this test's own subjects, streams, buckets and durable names."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
