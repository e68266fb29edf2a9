"""Versions from the contract: a deprecated version says so in headers; a sunset or unknown
version is refused with UNIMPLEMENTED and an ErrorInfo naming what is available."""

from typing import Any

import grpc
import pytest
from google.rpc.error_details_pb2 import ErrorInfo

from tests.integration.gateway.calls import Echo
from tests.support.status import detail

pytestmark = pytest.mark.integration

Types = tuple[Any, Any]  # message classes made at run time from the test image
SERVED = "accordtest.echo.v2.EchoService, accordtest.echo.v3.EchoService"


@pytest.mark.parametrize(
    ("version", "lifecycle"),
    [
        pytest.param("v3", {}, id="stable-without-lifecycle-headers"),
        pytest.param(
            "v2",
            {
                "deprecation": "@1793491200",  # 2026-11-01T00:00:00Z, RFC 9745
                "sunset": "Wed, 30 Jun 2027 23:59:59 GMT",  # RFC 8594 HTTP-date
                "link": '<accordtest.echo.v3.EchoService>; rel="successor-version", '
                '<https://example.com/echo/v3-migration>; rel="deprecation"; type="text/html"',
            },
            id="deprecated-with-deprecation-sunset-and-link",
        ),
    ],
)
async def test_a_served_version_answers_with_the_lifecycle_headers_of_its_stage(
    channel: grpc.aio.Channel, echo_types: Types, version: str, lifecycle: dict[str, str]
) -> None:
    echo = Echo(channel, echo_types, f"accordtest.echo.{version}.EchoService")
    call = echo.unary()(echo.request(text=version))
    assert (await call).text == version
    headers = dict(await call.initial_metadata())
    assert {
        name: headers[name] for name in ("deprecation", "sunset", "link") if name in headers
    } == lifecycle


async def test_a_deprecated_version_streams_with_its_headers(
    channel: grpc.aio.Channel, echo_types: Types
) -> None:
    echo = Echo(channel, echo_types, "accordtest.echo.v2.EchoService")
    call = echo.unary_stream()(echo.request(count=2))
    assert len([r async for r in call]) == 2
    assert "deprecation" in dict(await call.initial_metadata())


@pytest.mark.parametrize("shape", ["unary", "unary_stream", "stream_unary", "stream_stream"])
async def test_a_sunset_version_is_refused_naming_its_successor(
    channel: grpc.aio.Channel, echo_types: Types, shape: str
) -> None:
    echo = Echo(channel, echo_types, "accordtest.echo.v1.EchoService")
    request = echo.request()

    async def call() -> None:
        # Client streams send nothing: the refusal comes before any message is read, and a
        # message still being written when the gateway ends the call makes grpc-python report
        # its own failed write (INTERNAL) instead of the status the gateway sent.
        if shape == "unary":
            await echo.unary()(request)
        elif shape == "unary_stream":
            [_ async for _ in echo.unary_stream()(request)]
        elif shape == "stream_unary":
            await echo.stream_unary()(iter([]))
        else:
            [_ async for _ in echo.stream_stream()(iter([]))]

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call()
    error = raised.value
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
    info = detail(error, ErrorInfo)
    assert info.reason == "SERVICE_SUNSET"
    assert info.metadata["successor"] == "accordtest.echo.v2.EchoService"
    assert info.metadata["available"] == SERVED
    assert "accordtest.echo.v2.EchoService" in (error.details() or "")


@pytest.mark.parametrize(
    "service",
    [
        pytest.param("accordtest.echo.v9.EchoService", id="unknown-version"),
        pytest.param("nothing.here.v1.Nope", id="unknown-service-lists-every-served-one"),
    ],
)
async def test_what_is_not_served_is_refused_naming_the_available_versions(
    channel: grpc.aio.Channel, echo_types: Types, service: str
) -> None:
    echo = Echo(channel, echo_types, service)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await echo.unary()(echo.request())
    error = raised.value
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
    info = detail(error, ErrorInfo)
    assert info.reason == "SERVICE_UNKNOWN"
    assert info.metadata["available"] == SERVED
    assert f"available: {SERVED}" in (error.details() or "")


async def test_an_unknown_method_of_a_served_service_is_unimplemented(
    channel: grpc.aio.Channel, echo_types: Types
) -> None:
    echo = Echo(channel, echo_types)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await echo.unary("Nope")(echo.request())
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert detail(raised.value, ErrorInfo).reason == "METHOD_NOT_FOUND"
