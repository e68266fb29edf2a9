"""Limits: a token bucket per principal, a cap on calls in flight, and message sizes both
ways, each refused with the details a client needs."""

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc.error_details_pb2 import ErrorInfo, QuotaFailure, RetryInfo

from tests.integration.gateway.calls import Echo
from tests.integration.gateway.conftest import StartGateway, token
from tests.integration.gateway.echo_backend import EchoBackend, detail

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
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        echo = Echo(channel, echo_types)
        for _ in range(2):
            await echo.unary("Secret")(echo.request(), metadata=alice)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await echo.unary("Secret")(echo.request(), metadata=alice)
        # Another principal has a bucket of its own.
        await echo.unary("Secret")(echo.request(), metadata=bob)
    error = raised.value
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert detail(error, RetryInfo).retry_delay.ToNanoseconds() > 0
    assert detail(error, QuotaFailure).violations[0].subject == "alice"


async def test_anonymous_callers_share_a_bucket_per_host(
    start_gateway: StartGateway, backend: EchoBackend, echo_types: Types
) -> None:
    gateway = await start_gateway(
        {"accordtest.echo": [backend.address]}, rate_limit_per_s=0.01, rate_limit_burst=1
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        echo = Echo(channel, echo_types)
        await echo.unary()(echo.request())
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await echo.unary()(echo.request())
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    violation = detail(raised.value, QuotaFailure).violations[0]
    assert violation.subject.startswith("anonymous@")


async def test_calls_beyond_the_concurrency_cap_are_shed_with_retry_info(
    start_gateway: StartGateway, backend: EchoBackend, echo_types: Types
) -> None:
    gateway = await start_gateway(
        {"accordtest.echo": [backend.address]}, max_concurrent_calls=1, shed_retry_after_s=2.5
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        echo = Echo(channel, echo_types)
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


async def test_an_oversized_request_is_refused_with_details(
    start_gateway: StartGateway, backend: EchoBackend, echo_types: Types
) -> None:
    gateway = await start_gateway(
        {"accordtest.echo": [backend.address]}, max_receive_message_bytes=1000
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        echo = Echo(channel, echo_types)
        await echo.unary()(echo.request(blob=b"x" * 900))
        calls_before = len(backend.seen)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await echo.unary()(echo.request(blob=b"x" * 1500))
        assert len(backend.seen) == calls_before  # refused before any backend call
        # Far beyond the limit, grpc itself stops the message before it is buffered.
        with pytest.raises(grpc.aio.AioRpcError) as far:
            await echo.unary()(echo.request(blob=b"x" * 100_000))
        with pytest.raises(grpc.aio.AioRpcError) as streamed:
            await echo.stream_unary()(iter([echo.request(blob=b"x" * 1500)]))
    for error in (raised.value, streamed.value):
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        info = detail(error, ErrorInfo)
        assert info.reason == "MESSAGE_TOO_LARGE"
        assert info.metadata["direction"] == "request"
        assert info.metadata["limit"] == "1000"
    assert far.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_an_oversized_response_is_refused_with_details(
    start_gateway: StartGateway, backend: EchoBackend, echo_types: Types
) -> None:
    gateway = await start_gateway(
        {"accordtest.echo": [backend.address]}, max_send_message_bytes=1000
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        echo = Echo(channel, echo_types)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            # The backend answers with the blob repeated `count` times: 1800 bytes.
            await echo.unary()(echo.request(blob=b"x" * 600, count=3))
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    info = detail(raised.value, ErrorInfo)
    assert info.metadata["direction"] == "response"


async def test_a_client_that_pings_too_often_is_sent_away(
    start_gateway: StartGateway, backend: EchoBackend, echo_types: Types
) -> None:
    gateway = await start_gateway(
        {"accordtest.echo": [backend.address]},
        keepalive_min_ping_interval_s=10,
        keepalive_max_ping_strikes=1,
    )
    pushy = [
        ("grpc.keepalive_time_ms", 20),
        ("grpc.keepalive_timeout_ms", 5000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
    ]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}", options=pushy) as channel:
        echo = Echo(channel, echo_types)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            # The call would wait 30 s; the gateway closes the connection long before.
            await echo.unary()(echo.request(sleep_seconds=30), timeout=20)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "Too many pings" in (raised.value.details() or "")
