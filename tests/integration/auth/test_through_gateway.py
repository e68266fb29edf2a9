"""Authentication and authorization as a client meets them: through a real gateway, over gRPC.

Uses the gateway tests' echo contract and fixtures (tests/integration/gateway): a grpc.aio
gateway and an echo backend on loopback, with development keys in a temporary ACCORD_HOME.
"""

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey

from accord.auth import Principal
from accord.identity import PRINCIPAL_HEADER, verify_principal
from accord.rpc_status import details_of
from accord.tooling import devkeys
from tests.integration.gateway.calls import Echo
from tests.integration.gateway.echo_backend import EchoBackend

pytestmark = pytest.mark.integration

SERVICE = "accordtest.echo.v3.EchoService"
Types = tuple[type[Message], type[Message]]


@pytest.fixture
def echo(channel: grpc.aio.Channel, echo_types: Types) -> Echo:
    return Echo(channel, echo_types)


def dev_key(home: Path) -> ECKey:
    return ECKey.import_key(json.loads(devkeys.dev_signing_key_path(home).read_text()))


def signed(home: Path, header: dict[str, Any] | None = None, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": devkeys.DEV_ISSUER,
        "aud": devkeys.DEV_AUDIENCE,
        "sub": "alice",
        "scope": "echo:read",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    key = dev_key(home)
    return jwt.encode({"alg": "ES256", "kid": key.kid, **(header or {})}, claims, key, ["ES256"])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64(json.dumps(value).encode())


def hs256_with_public_key(home: Path) -> str:
    key = dev_key(home)
    signing_input = f"{segment({'alg': 'HS256', 'kid': key.kid})}.{signed(home).split('.')[1]}"
    secret = key.as_pem(private=False)  # public, so anyone could compute this MAC
    return (
        f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"
    )


def variants(home: Path) -> dict[str, tuple[str, str]]:
    now = int(time.time())
    stranger = ECKey.generate_key("P-256")
    good = signed(home)
    _, body, signature = good.split(".")
    stranger_signed = jwt.encode(
        {"alg": "ES256", "kid": dev_key(home).kid},
        json.loads(base64.urlsafe_b64decode(body + "==")),
        stranger,
        ["ES256"],
    )
    return {
        "expired": (signed(home, exp=now - 3600), "TOKEN_EXPIRED"),
        "not yet valid": (signed(home, nbf=now + 3600), "TOKEN_NOT_YET_VALID"),
        "wrong issuer": (signed(home, iss="https://evil.example"), "BAD_ISSUER"),
        "wrong audience": (signed(home, aud="another-api"), "BAD_AUDIENCE"),
        "bad signature": (stranger_signed, "BAD_SIGNATURE"),
        # jwt_authn calls these "malformed" and "no key fits its kid and alg"; the edge's
        # token-reasons filter names them as the services do.
        "alg none": (f"{segment({'alg': 'none'})}.{body}.", "ALGORITHM_NOT_ALLOWED"),
        "hs256 with public key": (hs256_with_public_key(home), "ALGORITHM_NOT_ALLOWED"),
        "garbage": ("not-a-token", "MALFORMED_TOKEN"),
        "unknown kid": (
            f"{segment({'alg': 'ES256', 'kid': 'nobody'})}.{body}.{signature}",
            "UNKNOWN_KEY_ID",
        ),
    }


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    for detail in details_of(error):
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    raise AssertionError(f"no ErrorInfo in {error}")


async def refused(echo: Echo, method: str, request: Message, metadata: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await echo.unary(method)(request, metadata=metadata, timeout=5)
    return caught.value


VARIANTS = [
    "expired",
    "not yet valid",
    "wrong issuer",
    "wrong audience",
    "bad signature",
    "alg none",
    "hs256 with public key",
    "garbage",
    "unknown kid",
]


@pytest.mark.parametrize("variant", VARIANTS)
async def test_bad_tokens_are_unauthenticated_with_reason(
    echo: Echo, auth_home: Path, backend: EchoBackend, variant: str
) -> None:
    value, reason = variants(auth_home)[variant]
    calls_before = len(backend.seen)
    for method in ("Secret", "Echo"):  # a bad token fails even on a public method
        error = await refused(echo, method, echo.request(), [("authorization", f"Bearer {value}")])
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert error_info(error).reason == reason
        assert "Traceback" not in (error.details() or "")
    assert len(backend.seen) == calls_before  # nothing reached the backend


async def test_a_valid_token_reaches_the_backend_which_verifies_it_again(
    echo: Echo, auth_home: Path, backend: EchoBackend
) -> None:
    token = signed(auth_home)
    await echo.unary("Secret")(
        echo.request(), metadata=[("authorization", f"Bearer {token}")], timeout=5
    )
    seen = backend.seen[-1].metadata
    assert seen["authorization"] == f"Bearer {token}"
    assert PRINCIPAL_HEADER not in seen  # nothing a local process could forge instead


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"header": {"typ": "accord-principal+jwt"}}, "BAD_TOKEN_TYPE"),
        # jwt_authn reports it as a failed verification; the token-reasons filter names it.
        ({"claims": {"exp": int(time.time()) + 10 * 24 * 3600}}, "TOKEN_LIFETIME_TOO_LONG"),
    ],
    ids=["typ", "lifetime"],
)
async def test_a_token_of_another_type_or_too_long_a_life_is_refused(
    echo: Echo, auth_home: Path, backend: EchoBackend, overrides: dict[str, Any], reason: str
) -> None:
    token = signed(auth_home, overrides.get("header"), **overrides.get("claims", {}))
    calls_before = len(backend.seen)
    error = await refused(echo, "Secret", echo.request(), [("authorization", f"Bearer {token}")])
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_info(error).reason == reason
    assert len(backend.seen) == calls_before


async def test_no_credentials_and_missing_scope(echo: Echo, auth_home: Path) -> None:
    await echo.unary("Echo")(echo.request(), timeout=5)  # public
    error = await refused(echo, "Secret", echo.request(), [])
    assert (error.code(), error_info(error).reason) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "CREDENTIALS_REQUIRED",
    )
    bearer = [("authorization", f"Bearer {signed(auth_home, scope='echo:write')}")]
    error = await refused(echo, "Secret", echo.request(), bearer)
    info = error_info(error)
    assert (error.code(), info.reason, info.metadata["scope"]) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "MISSING_SCOPE",
        "echo:read",
    )


async def test_owner_check_over_the_wire(echo: Echo, auth_home: Path) -> None:
    writer = [("authorization", f"Bearer {signed(auth_home, scope='echo:write')}")]
    await echo.unary("Owned")(echo.request(customer_id="alice"), metadata=writer, timeout=5)
    answers = set()
    for customer in ("bob", "someone-who-does-not-exist"):
        error = await refused(echo, "Owned", echo.request(customer_id=customer), writer)
        info = error_info(error)
        answers.add((error.code(), error.details(), info.reason, tuple(info.metadata.items())))
    assert len(answers) == 1
    assert next(iter(answers))[:1] == (grpc.StatusCode.PERMISSION_DENIED,)
    assert next(iter(answers))[2] == "NOT_OWNER"
    admin = [("authorization", f"Bearer {signed(auth_home, scope='echo:write echo:admin')}")]
    await echo.unary("Owned")(echo.request(customer_id="bob"), metadata=admin, timeout=5)


async def test_api_key_through_the_gateway(
    echo: Echo, auth_home: Path, backend: EchoBackend
) -> None:
    key = devkeys.create_api_key("carol", ["echo:read"], home=auth_home)
    await echo.unary("Secret")(echo.request(), metadata=[("x-api-key", key)], timeout=5)
    header = backend.seen[-1].metadata[PRINCIPAL_HEADER]
    public = devkeys.principal_public_key_path(auth_home)
    principal = verify_principal(
        [(PRINCIPAL_HEADER, header)], SERVICE, OKPKey.import_key(json.loads(public.read_text()))
    )
    assert principal == Principal("carol", frozenset({"echo:read"}), "api_key")
    error = await refused(echo, "Secret", echo.request(), [("x-api-key", key + "x")])
    assert error_info(error).reason == "UNKNOWN_API_KEY"
