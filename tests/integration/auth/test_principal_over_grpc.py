"""A real grpc.aio service reads the principal the gateway signed, and only that."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2

from accord.auth import Authenticator, AuthSettings, Principal, PrincipalSigner
from accord.identity import IdentityError, IdentitySettings, PrincipalVerifier
from accord.rpc_status import abort, details_of
from accord.tooling import devkeys

pytestmark = pytest.mark.integration

SERVICE = "acme.test.v1.WhoAmIService"
WHO_AM_I = f"/{SERVICE}/WhoAmI"


@pytest.fixture
async def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path))
    devkeys.ensure_dev_keys(tmp_path)
    return tmp_path


@pytest.fixture
async def address(home: Path) -> AsyncIterator[str]:
    """A service on a free loopback port answering with the caller's subject and scopes."""
    verifier = PrincipalVerifier.from_settings(SERVICE, IdentitySettings())

    async def who_am_i(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        try:
            principal = verifier.principal_of(context)
        except IdentityError as error:
            await abort(context, error)
        if principal is None:
            return b"anonymous"
        return f"{principal.subject} {' '.join(sorted(principal.scopes))}".encode()

    handler = grpc.method_handlers_generic_handler(
        SERVICE, {"WhoAmI": grpc.unary_unary_rpc_method_handler(who_am_i)}
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(None)


async def call(address: str, metadata: list[tuple[str, str]]) -> bytes:
    async with grpc.aio.insecure_channel(address) as channel:
        method: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(WHO_AM_I)
        reply: bytes = await method(b"", metadata=tuple(metadata), timeout=5)
        return reply


async def refused_reason(address: str, metadata: list[tuple[str, str]]) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(address, metadata)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    info = error_details_pb2.ErrorInfo()
    assert details_of(caught.value)[0].Unpack(info)
    reason: str = info.reason
    return reason


async def test_token_to_principal_header_to_service(address: str) -> None:
    """The whole chain: `accord token` → gateway authenticates → signs → service reads it."""
    settings = AuthSettings()
    token = devkeys.mint_token("alice", ["orders:read", "orders:write"])
    principal = await Authenticator.from_settings(settings).authenticate(
        (("authorization", f"Bearer {token}"),)
    )
    assert principal is not None
    headers = PrincipalSigner.from_settings(settings).headers(principal, SERVICE)
    assert await call(address, headers) == b"alice orders:read orders:write"


async def test_without_a_header_the_service_sees_no_principal(address: str) -> None:
    assert await call(address, []) == b"anonymous"


async def test_header_for_another_service_is_refused(address: str) -> None:
    signer = PrincipalSigner.from_settings(AuthSettings())
    headers = signer.headers(Principal("alice", frozenset(), "jwt"), "acme.other.v1.Other")
    assert await refused_reason(address, headers) == "PRINCIPAL_WRONG_AUDIENCE"


async def test_header_signed_by_another_key_is_refused(address: str, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    forger = PrincipalSigner(devkeys.ensure_principal_key(elsewhere))
    headers = forger.headers(Principal("mallory", frozenset({"orders:admin"}), "jwt"), SERVICE)
    assert await refused_reason(address, headers) == "PRINCIPAL_BAD_SIGNATURE"


async def test_client_made_up_header_is_refused(address: str) -> None:
    assert await refused_reason(address, [("x-accord-principal", "alice")]) == (
        "PRINCIPAL_MALFORMED"
    )
