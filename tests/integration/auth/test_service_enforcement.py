"""A service enforces its own contract, whatever way a call came: straight at its port here.

The echo backend runs the platform's interceptor (accord.enforcement) over the echo contract,
as every service does over its own; nothing of the edge is in front of it.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2
from google.rpc.error_details_pb2 import ErrorInfo, QuotaFailure
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey

from accord.identity import PRINCIPAL_HEADER, Principal, sign_principal
from accord.tooling import devkeys
from tests.integration.gateway.calls import Echo, echo_at
from tests.integration.gateway.conftest import echo_enforcement
from tests.integration.gateway.echo_backend import EchoBackend
from tests.support.status import detail

pytestmark = pytest.mark.integration

SERVICE = "accordtest.echo.v3.EchoService"
Types = tuple[Any, Any]


@pytest.fixture
async def guarded(
    echo_types: Types, echo_image: descriptor_pb2.FileDescriptorSet, auth_home: Path
) -> AsyncIterator[EchoBackend]:
    """An echo backend whose interceptor allows two server streams per caller."""
    enforcement = echo_enforcement(echo_image, auth_home, max_streams_per_principal=2)
    async with EchoBackend("direct", *echo_types, enforcement).serving() as backend:
        yield backend


@pytest.fixture
async def echo(guarded: EchoBackend, echo_types: Types) -> AsyncIterator[Echo]:
    async with echo_at(guarded.address, echo_types) as echo:
        yield echo


def bearer(home: Path, subject: str, *scopes: str, **claims: Any) -> tuple[str, str]:
    key = ECKey.import_key(json.loads(devkeys.dev_signing_key_path(home).read_text()))
    now = int(time.time())
    payload = {
        "iss": devkeys.DEV_ISSUER,
        "aud": devkeys.DEV_AUDIENCE,
        "sub": subject,
        "scope": " ".join(scopes),
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    token = jwt.encode({"alg": "ES256", "kid": key.kid, "typ": "JWT"}, payload, key, ["ES256"])
    return ("authorization", f"Bearer {token}")


async def refusal(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value


async def test_no_credentials_and_forged_headers_are_refused_before_the_servicer(
    echo: Echo, guarded: EchoBackend, auth_home: Path
) -> None:
    stranger = OKPKey.generate_key("Ed25519", auto_kid=True)
    forged = sign_principal(
        Principal("alice", frozenset({"echo:read"}), "api_key"),
        SERVICE,
        stranger,
        int(time.time()),
        60,
    )
    cases = {
        "CREDENTIALS_REQUIRED": [],
        "CREDENTIALS_REQUIRED ": [("x-user", "alice"), ("x-forwarded-user", "alice")],
        "PRINCIPAL_BAD_SIGNATURE": [(PRINCIPAL_HEADER, forged)],
    }
    for reason, metadata in cases.items():
        error = await refusal(echo.unary("Secret")(echo.request(), metadata=metadata))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert detail(error, ErrorInfo).reason == reason.strip()
    assert guarded.seen == []


async def test_a_token_is_verified_here_with_the_same_rules(
    echo: Echo, guarded: EchoBackend, auth_home: Path
) -> None:
    await echo.unary("Secret")(echo.request(), metadata=[bearer(auth_home, "alice", "echo:read")])
    assert len(guarded.seen) == 1
    too_long = bearer(auth_home, "alice", "echo:read", exp=int(time.time()) + 10 * 24 * 3600)
    missing = bearer(auth_home, "alice", "echo:write")
    error = await refusal(echo.unary("Secret")(echo.request(), metadata=[too_long]))
    assert detail(error, ErrorInfo).reason == "TOKEN_LIFETIME_TOO_LONG"
    error = await refusal(echo.unary("Secret")(echo.request(), metadata=[missing]))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert detail(error, ErrorInfo).metadata["scope"] == "echo:read"
    assert len(guarded.seen) == 1


async def test_a_client_stream_that_switches_owner_half_way_is_refused(
    echo: Echo, auth_home: Path
) -> None:
    alice = [bearer(auth_home, "alice", "echo:write")]
    mine, theirs = echo.request(customer_id="alice"), echo.request(customer_id="bob")
    done = await echo.stream_unary("OwnedStream")(iter([mine, mine]), metadata=alice)
    assert done.count == 2
    call = echo.stream_unary("OwnedStream")(iter([mine, theirs, mine]), metadata=alice)
    error = await refusal(call)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert detail(error, ErrorInfo).reason == "NOT_OWNER"


async def test_one_caller_cannot_hold_every_stream(echo: Echo, auth_home: Path) -> None:
    alice = [bearer(auth_home, "alice", "echo:read")]
    bob = [bearer(auth_home, "bob", "echo:read")]
    held = [
        echo.unary_stream()(echo.request(count=1, sleep_seconds=30), metadata=alice)
        for _ in range(2)
    ]
    for call in held:
        await call.wait_for_connection()
    await asyncio.sleep(0.2)  # both are inside the servicer now
    third = echo.unary_stream()(echo.request(count=1), metadata=alice)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        [_ async for _ in third]
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert detail(raised.value, ErrorInfo).reason == "TOO_MANY_STREAMS"
    assert detail(raised.value, QuotaFailure).violations[0].subject == "alice"
    # Another caller still gets a stream.
    assert [r async for r in echo.unary_stream()(echo.request(count=1), metadata=bob)]
    for call in held:
        call.cancel()
