"""Session-wide fixtures: real servers, started once where safe, always stopped."""

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from accord.settings import CommonSettings
from accord.tooling.nats_config import ServerSecurity, development_security
from accord.tooling.nats_server import NatsServer
from tests.support.servers import nats_in

# Set for the whole session, before any fixture reads settings: the tests run in
# development, and every nats-server and service of the session shares one set of NATS
# identities (each service's nkey, the operator's, the developer's password).
SESSION_ENVIRONMENT = ("ACCORD_MODE", "ACCORD_NATS_IDENTITIES")


@pytest.fixture(scope="session", autouse=True)
def _development_session(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["ACCORD_MODE"] = "development"
    os.environ["ACCORD_NATS_IDENTITIES"] = str(tmp_path_factory.mktemp("nats-identities"))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees only the environment it sets: no NATS_URL or ports leak in or out."""
    for name in list(os.environ):
        if (name.startswith("ACCORD_") or name == "NATS_URL") and name not in SESSION_ENVIRONMENT:
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def nats_security() -> ServerSecurity:
    """The nats-server configuration generated from the contracts, with the session's
    identities: services connect as themselves; `NatsServer.url` carries the developer."""
    return development_security(CommonSettings())


@pytest.fixture(scope="session")
async def nats_server(
    tmp_path_factory: pytest.TempPathFactory, nats_security: ServerSecurity
) -> AsyncIterator[NatsServer]:
    """One real nats-server with JetStream for the session, on a free loopback port,
    running the generated configuration (permissions on, nothing anonymous)."""
    async with nats_in(tmp_path_factory.mktemp("jetstream"), nats_security) as server:
        yield server


@pytest.fixture
async def nats_client(nats_server: NatsServer) -> AsyncIterator[NatsClient]:
    async with await nats.connect(nats_server.url) as client:
        yield client


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
