"""NATS over TLS, against a real nats-server serving the development certificate: services
and the operator connect with TLS and check the server against the CA they are given;
a client that does not trust that CA, or speaks plain NATS, gets nowhere."""

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest

from accord.nats_auth import tls_context
from accord.settings import CommonSettings
from accord.tooling.nats_config import development_security
from accord.tooling.nats_server import NatsServer
from services.support import app as support_app
from tests.support.servers import nats_in, serving

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def tls_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[NatsServer]:
    security = development_security(CommonSettings(nats_tls=True))
    assert security.tls is not None
    async with nats_in(tmp_path_factory.mktemp("tls-jetstream"), security) as server:
        yield server


def test_the_server_is_addressed_as_tls(tls_server: NatsServer) -> None:
    assert tls_server.address.startswith("tls://127.0.0.1:")


async def test_a_service_and_the_operator_connect_over_tls(
    tls_server: NatsServer, tmp_path: Path
) -> None:
    # The service provisions its contract as the operator, then serves: both over TLS.
    settings = support_app.SERVICE.settings(
        port=0, nats_url=tls_server.address, home=tmp_path, nats_tls=True
    )
    async with serving(support_app.SERVICE, settings) as service:
        assert service.nats.is_connected
        assert service.nats.connected_url is not None
        assert service.nats.connected_url.scheme == "tls"
        info = await service.nats.jetstream().stream_info("SUPPORT")
        assert info.config.name == "SUPPORT"


async def test_the_developer_with_the_ca_connects(tls_server: NatsServer) -> None:
    context = tls_context(CommonSettings(nats_tls=True))
    assert context is not None
    nc = await nats.connect(tls_server.url, tls=context, allow_reconnect=False)
    try:
        assert (await nc.jetstream().account_info()).streams >= 0
    finally:
        await nc.close()


async def test_a_client_that_does_not_trust_the_ca_is_refused(tls_server: NatsServer) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        await nats.connect(tls_server.url, tls=ssl.create_default_context(), allow_reconnect=False)


async def test_plain_nats_is_refused(tls_server: NatsServer) -> None:
    """A client that speaks the protocol in the clear gets no further than the greeting."""
    reader, writer = await asyncio.open_connection(tls_server.host, tls_server.port)
    try:
        greeting = json.loads((await reader.readline()).decode().removeprefix("INFO "))
        assert greeting["tls_required"] is True
        writer.write(b'CONNECT {"user":"developer","pass":"x"}\r\nPING\r\n')
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(200), 5)
        assert b"PONG" not in answer
    finally:
        writer.close()


async def test_nats_py_with_its_default_trust_is_refused(tls_server: NatsServer) -> None:
    """nats-py upgrades a nats:// URL when the server requires TLS, and checks the server's
    certificate against the system's CAs: the development CA is not one of them."""
    plain = tls_server.url.replace("tls://", "nats://")
    with pytest.raises(ssl.SSLCertVerificationError):
        await nats.connect(plain, allow_reconnect=False, connect_timeout=2)
