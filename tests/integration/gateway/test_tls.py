"""TLS: the edge terminates TLS (ALPN h2) and speaks mutual TLS to the services; the auth matrix
of the echo contract runs over it, with certificates from a CA made for the test."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2

from accord.descriptors import MethodContract, services_in
from accord.grpc_server import mutual_tls
from accord.rpc_status import reason_of
from gateway.server import Gateway
from tests.integration.gateway.conftest import V3, StartGateway, echo_enforcement, token
from tests.integration.gateway.echo_backend import EchoBackend
from tests.support.contracts import raw_call
from tests.support.tls import LocalCa

pytestmark = pytest.mark.integration

Types = tuple[Any, Any]
REFUSALS = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}


@pytest.fixture
def ca(tmp_path: Path) -> LocalCa:
    return LocalCa.create(tmp_path)


@pytest.fixture
async def tls_backend(
    ca: LocalCa, echo_types: Types, echo_image: descriptor_pb2.FileDescriptorSet, auth_home: Path
) -> AsyncIterator[EchoBackend]:
    pair = ca.issue("echo-backend", server=True)
    backend = EchoBackend("tls", *echo_types, echo_enforcement(echo_image, auth_home))
    async with backend.serving(credentials=mutual_tls(pair.cert, pair.key, ca.cert)) as started:
        yield started


@pytest.fixture
async def tls_gateway(
    start_gateway: StartGateway, tls_backend: EchoBackend, ca: LocalCa
) -> Gateway:
    edge = ca.issue("edge", server=True)
    client = ca.issue("edge-client", server=False)
    return await start_gateway(
        {"accordtest.echo": [tls_backend.address]},
        tls_cert_file=edge.cert,
        tls_key_file=edge.key,
        upstream_tls_ca_file=ca.cert,
        upstream_tls_cert_file=client.cert,
        upstream_tls_key_file=client.key,
    )


def _methods(image: descriptor_pb2.FileDescriptorSet) -> list[MethodContract]:
    return [m for s in services_in(image) if s.full_name == V3 for m in s.methods]


async def _call(
    channel: grpc.aio.Channel, method: MethodContract, body: bytes, metadata: Any
) -> grpc.aio.AioRpcError | None:
    try:
        call = raw_call(channel, method, body, metadata, timeout=10)
        if method.server_streaming:
            [_ async for _ in call]
        else:
            await call
    except grpc.aio.AioRpcError as error:
        return error
    return None


async def test_the_auth_matrix_over_tls_and_mutual_tls(
    tls_gateway: Gateway,
    echo_image: descriptor_pb2.FileDescriptorSet,
    echo_types: Types,
    auth_home: Path,
    ca: LocalCa,
) -> None:
    request, _ = echo_types
    credentials = grpc.ssl_channel_credentials(root_certificates=ca.cert.read_bytes())
    async with grpc.aio.secure_channel(f"localhost:{tls_gateway.port}", credentials) as channel:
        for method in _methods(echo_image):
            policy = method.policy
            assert policy is not None
            body = request(customer_id="alice").SerializeToString()
            anonymous = await _call(channel, method, body, ())
            if policy.public:
                assert anonymous is None or anonymous.code() not in REFUSALS, method.path
                continue
            assert anonymous is not None
            assert reason_of(anonymous) == "CREDENTIALS_REQUIRED", method.path
            for missing in policy.required_scopes:
                held = [s for s in policy.required_scopes if s != missing]
                bearer = [("authorization", f"Bearer {token(auth_home, 'alice', *held)}")]
                refused = await _call(channel, method, body, bearer)
                assert refused is not None
                assert reason_of(refused) == "MISSING_SCOPE", method.path
            scopes = list(policy.required_scopes)
            bearer = [("authorization", f"Bearer {token(auth_home, 'alice', *scopes)}")]
            answered = await _call(channel, method, body, bearer)
            assert answered is None or answered.code() not in REFUSALS, (method.path, answered)


async def test_the_service_takes_no_connection_without_a_client_certificate(
    tls_backend: EchoBackend, echo_types: Types, ca: LocalCa
) -> None:
    request, _ = echo_types
    body = request().SerializeToString()
    server_only = grpc.ssl_channel_credentials(root_certificates=ca.cert.read_bytes())
    for channel in (
        grpc.aio.insecure_channel(tls_backend.address),
        grpc.aio.secure_channel(f"localhost:{tls_backend.port}", server_only),
    ):
        async with channel:
            echo: Any = channel.unary_unary(f"/{V3}/Echo")
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await echo(body, timeout=5)
            assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert tls_backend.seen == []
