"""Limits at the edge: a token bucket per principal, one per peer charged before any credential
is looked at, a cap on calls in flight, and the request size limit (the edge's and each
service's own), each refused with the details a client needs."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc.error_details_pb2 import ErrorInfo, QuotaFailure, RetryInfo

from accord.message_size import backstop
from tests.integration.gateway.calls import echo_at
from tests.integration.gateway.conftest import StartGateway, echo_enforcement, token
from tests.integration.gateway.echo_backend import EchoBackend
from tests.support.status import detail

pytestmark = pytest.mark.integration

Types = tuple[Any, Any]  # message classes made at run time from the test image


async def test_a_principal_over_its_rate_gets_resource_exhausted_with_retry_and_quota(
    start_gateway: StartGateway, backend: EchoBackend, echo_types: Types, auth_home: Path
) -> None:
    gateway = await start_gateway(
        {"accordtest.echo": [backend.address]}, rate_limit_per_s=0.01, rate_limit_burst=2
    )
    alice = (("authorization", f"Bearer {token(auth_home, 'alice', 'echo:read')}"),)
    bob = (("authorization", f"Bearer {token(auth_home, 'bob', 'echo:read')}"),)
    async with echo_at(f"127.0.0.1:{gateway.port}", echo_types) as echo:
        for _ in range(2):
            await echo.unary("Secret")(echo.request(), metadata=alice)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await echo.unary("Secret")(echo.request(), metadata=alice)
        # Another principal has a bucket of its own.
        await echo.unary("Secret")(echo.request(), metadata=bob)
    error = raised.value
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert detail(error, RetryInfo).retry_delay.ToNanoseconds() > 0
    assert detail(error, QuotaFailure).violations[0].subject == "principal"
    assert detail(error, ErrorInfo).reason == "RATE_LIMITED"


async def test_a_peer_is_limited_before_its_credentials_are_checked(
    start_gateway: StartGateway, backend: EchoBackend, echo_types: Types
) -> None:
    gateway = await start_gateway(
        {"accordtest.echo": [backend.address]},
        peer_rate_limit_per_s=0.01,
        peer_rate_limit_burst=2,
    )
    forged = (("authorization", "Bearer not.a.token"),)
    async with echo_at(f"127.0.0.1:{gateway.port}", echo_types) as echo:
        codes = []
        for _ in range(3):
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await echo.unary("Secret")(echo.request(), metadata=forged)
            codes.append(raised.value.code())
    # Two bad tokens are looked at and refused; the third is not even looked at.
    assert codes[:2] == [grpc.StatusCode.UNAUTHENTICATED] * 2
    assert codes[2] == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert detail(raised.value, QuotaFailure).violations[0].subject == "peer"


async def test_calls_beyond_the_concurrency_cap_are_shed_with_retry_info(
    start_gateway: StartGateway, backend: EchoBackend, echo_types: Types
) -> None:
    gateway = await start_gateway(
        {"accordtest.echo": [backend.address]}, max_concurrent_calls=1, shed_retry_after_s=2.5
    )
    async with echo_at(f"127.0.0.1:{gateway.port}", echo_types) as echo:
        slow = echo.unary()(echo.request(sleep_seconds=60))
        await asyncio.wait_for(backend.started.wait(), 10)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await echo.unary()(echo.request())
        slow.cancel()
        await asyncio.wait_for(backend.cancelled.wait(), 10)

        async def admitted_again() -> None:
            while True:
                try:
                    await echo.unary()(echo.request())
                    return
                except grpc.aio.AioRpcError:
                    await asyncio.sleep(0.05)

        await asyncio.wait_for(admitted_again(), 10)
    error = raised.value
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert detail(error, RetryInfo).retry_delay.ToNanoseconds() == 2_500_000_000
    assert detail(error, ErrorInfo).reason == "OVERLOADED"
    assert detail(error, ErrorInfo).metadata["service"] == "accordtest.echo.v3.EchoService"


LIMIT = 1000


@pytest.fixture
async def small_backend(
    echo_types: Types, echo_image: Any, auth_home: Path
) -> AsyncIterator[EchoBackend]:
    """An echo backend that takes request messages of at most LIMIT bytes."""
    small = EchoBackend(
        "small",
        *echo_types,
        echo_enforcement(echo_image, auth_home, max_request_bytes=LIMIT),
        max_receive_message_length=backstop(LIMIT),
    )
    async with small.serving() as started:
        yield started


def _too_large(error: grpc.aio.AioRpcError, size: int | None) -> None:
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    info = detail(error, ErrorInfo)
    assert (info.reason, info.metadata["direction"], info.metadata["limit"]) == (
        "MESSAGE_TOO_LARGE",
        "request",
        str(LIMIT),
    )
    # The service knows the size; Envoy refuses before it has the message whole.
    assert info.metadata.get("size") == (str(size) if size is not None else None)


@pytest.mark.parametrize("path", ["edge", "direct"])
async def test_an_oversized_request_is_refused_with_details_and_reaches_no_servicer(
    start_gateway: StartGateway, small_backend: EchoBackend, echo_types: Types, path: str
) -> None:
    address = small_backend.address
    if path == "edge":
        gateway = await start_gateway(
            {"accordtest.echo": [small_backend.address]}, max_receive_message_bytes=LIMIT
        )
        address = f"127.0.0.1:{gateway.port}"
    async with echo_at(address, echo_types) as echo:
        await echo.unary()(echo.request(blob=b"x" * 900))
        seen = len(small_backend.seen)
        near = echo.request(blob=b"x" * 1500)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await echo.unary()(near)
        _too_large(refused.value, near.ByteSize())
        with pytest.raises(grpc.aio.AioRpcError) as expanded:
            [_ async for _ in echo.unary_stream()(near)]
        _too_large(expanded.value, near.ByteSize())
        assert len(small_backend.seen) == seen  # no servicer saw any of them
        # Message by message: the first one passes, the second is refused.
        with pytest.raises(grpc.aio.AioRpcError) as streamed:
            await echo.stream_unary()(iter([echo.request(text="fits"), near]))
        _too_large(streamed.value, near.ByteSize())
        # Far beyond the limit, a single message: the edge refuses it with the details before
        # any of it reaches the service; straight at the service, grpc's own backstop (twice
        # the limit and 64 KiB) stops it before it is read whole, with its bare status.
        far = echo.request(blob=b"x" * 200_000)
        with pytest.raises(grpc.aio.AioRpcError) as beyond:
            await echo.unary()(far)
        if path == "edge":
            _too_large(beyond.value, None)
        else:
            assert beyond.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        await echo.unary()(echo.request(blob=b"x" * 900))  # and the next call is served
