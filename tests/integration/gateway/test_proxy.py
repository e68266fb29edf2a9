"""Calls through the gateway: all four RPC shapes, metadata both ways, deadlines, cancellation
and backend errors, each against a real backend on loopback."""

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc.error_details_pb2 import ErrorInfo

from accord.auth import IDENTITY_HEADERS
from accord.identity import PRINCIPAL_HEADER
from accord.tooling import devkeys
from gateway.server import Gateway
from tests.integration.gateway.calls import Echo, echo_at
from tests.integration.gateway.conftest import StartGateway, token
from tests.integration.gateway.echo_backend import EchoBackend
from tests.support.status import detail

pytestmark = pytest.mark.integration

Types = tuple[Any, Any]  # message classes made at run time from the test image


@pytest.fixture
def echo(channel: grpc.aio.Channel, echo_types: Types) -> Echo:
    return Echo(channel, echo_types)


async def test_unary_unary_reaches_the_backend_and_returns_its_answer(echo: Echo) -> None:
    response = await echo.unary()(echo.request(text="hello", blob=b"\x00\xff"))
    assert response.text == "hello"
    assert response.blob == b"\x00\xff"


async def test_unary_stream_streams_every_response(echo: Echo) -> None:
    responses = [r async for r in echo.unary_stream()(echo.request(text="x", count=5))]
    assert [r.count for r in responses] == [0, 1, 2, 3, 4]
    assert {r.text for r in responses} == {"x"}


async def test_stream_unary_collects_every_request(echo: Echo) -> None:
    requests = [echo.request(text=t) for t in ("a", "b", "c")]
    response = await echo.stream_unary()(iter(requests))
    assert response.text == "a+b+c"
    assert response.count == 3


async def test_stream_stream_answers_each_request_in_turn(echo: Echo) -> None:
    call = echo.stream_stream()()
    answers = []
    for text in ("one", "two", "three"):
        await call.write(echo.request(text=text))
        answer: Any = await call.read()
        answers.append(answer.text)
    await call.done_writing()
    assert await call.read() is grpc.aio.EOF
    assert answers == ["ONE", "TWO", "THREE"]
    assert await call.code() == grpc.StatusCode.OK


@pytest.mark.parametrize("shape", ["unary", "unary_stream", "stream_unary", "stream_stream"])
async def test_metadata_goes_through_both_ways(
    echo: Echo, backend: EchoBackend, shape: str
) -> None:
    metadata = (("x-custom", "value"), ("x-blob-bin", b"\x00\x01"), ("x-request-id", "req-42"))
    request = echo.request(text="m", count=1)
    call: Any
    if shape == "unary":
        call = echo.unary()(request, metadata=metadata)
        await call
    elif shape == "unary_stream":
        call = echo.unary_stream()(request, metadata=metadata)
        [_ async for _ in call]
    elif shape == "stream_unary":
        call = echo.stream_unary()(iter([request]), metadata=metadata)
        await call
    else:
        call = echo.stream_stream()(iter([request]), metadata=metadata)
        [_ async for _ in call]
    seen = backend.seen[-1].metadata
    assert seen["x-custom"] == "value"
    assert seen["x-blob-bin"] == b"\x00\x01"
    assert seen["x-request-id"] == "req-42"
    headers = dict(await call.initial_metadata())
    assert headers["x-backend"] == "a"
    assert headers["x-request-id"] == "req-42"
    trailers = dict(await call.trailing_metadata())
    assert trailers["x-backend-trailer"] == "a"


async def test_a_call_without_a_request_id_gets_one_both_ways(
    echo: Echo, backend: EchoBackend
) -> None:
    call = echo.unary()(echo.request())
    await call
    given = dict(await call.initial_metadata())["x-request-id"]
    assert isinstance(given, str)
    assert len(given) >= 32
    assert backend.seen[-1].metadata["x-request-id"] == given


async def test_a_request_id_that_is_not_1_to_128_visible_characters_is_replaced(
    echo: Echo, backend: EchoBackend
) -> None:
    longest = "r" * 128
    call = echo.unary()(echo.request(), metadata=(("x-request-id", longest),))
    await call
    assert backend.seen[-1].metadata["x-request-id"] == longest
    for invalid in ("has a space", "r" * 129):
        call = echo.unary()(echo.request(), metadata=(("x-request-id", invalid),))
        await call
        given = dict(await call.initial_metadata())["x-request-id"]
        assert given != invalid
        assert isinstance(given, str)
        assert re.fullmatch("[!-~]{32,128}", given), given
        assert backend.seen[-1].metadata["x-request-id"] == given


async def test_identity_headers_from_the_client_never_reach_the_backend(
    channel: grpc.aio.Channel, echo_types: Types, backend: EchoBackend, auth_home: Path
) -> None:
    echo = Echo(channel, echo_types)
    forged = [(name, "forged") for name in sorted(IDENTITY_HEADERS)]
    # Anonymous, on a public method: no principal header at all.
    await echo.unary()(echo.request(), metadata=forged)
    assert not IDENTITY_HEADERS & set(backend.seen[-1].metadata)
    # A JWT: the verified token goes on, for the service to verify itself; nothing else.
    jwt = token(auth_home, "alice", "echo:read")
    await echo.unary("Secret")(
        echo.request(), metadata=[*forged, ("authorization", f"Bearer {jwt}")]
    )
    seen = backend.seen[-1].metadata
    assert not IDENTITY_HEADERS & set(seen)
    assert seen["authorization"] == f"Bearer {jwt}"
    # An API key: the edge's own signed principal, and not the key.
    key = devkeys.create_api_key("carol", ["echo:read"], home=auth_home)
    await echo.unary("Secret")(echo.request(), metadata=[*forged, ("x-api-key", key)])
    seen = backend.seen[-1].metadata
    assert seen[PRINCIPAL_HEADER] not in ("", "forged")
    assert not (IDENTITY_HEADERS - {PRINCIPAL_HEADER}) & set(seen)
    assert "x-api-key" not in seen


async def test_the_clients_deadline_reaches_the_backend(echo: Echo, backend: EchoBackend) -> None:
    await echo.unary()(echo.request(), timeout=5.0)
    remaining = backend.seen[-1].time_remaining
    # grpc rounds deadlines up on the wire; far below the 30 s default is what matters.
    assert remaining is not None
    assert 0 < remaining < 6.0


async def test_without_a_client_deadline_the_default_applies(
    start_gateway: StartGateway, backend: EchoBackend, echo_types: Types
) -> None:
    gateway = await start_gateway({"accordtest.echo": [backend.address]}, default_deadline_s=7.0)
    async with echo_at(f"127.0.0.1:{gateway.port}", echo_types) as echo:
        await echo.unary()(echo.request())
    remaining = backend.seen[-1].time_remaining
    assert remaining is not None
    assert 0 < remaining < 8.0


async def test_an_expired_deadline_is_deadline_exceeded(echo: Echo) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await echo.unary()(echo.request(sleep_seconds=30), timeout=0.3)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


@pytest.mark.parametrize("shape", ["unary", "unary_stream"])
async def test_a_client_cancel_cancels_the_backend_call(
    echo: Echo, backend: EchoBackend, shape: str
) -> None:
    request = echo.request(sleep_seconds=60, count=1)
    call: Any = (echo.unary() if shape == "unary" else echo.unary_stream())(request)
    await asyncio.wait_for(backend.started.wait(), 10)
    call.cancel()
    await asyncio.wait_for(backend.cancelled.wait(), 10)


async def test_backend_errors_pass_through_unchanged(echo: Echo) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await echo.unary()(echo.request(fail_with="FAILED_PRECONDITION"))
    error = raised.value
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error.details() == "backend says FAILED_PRECONDITION"
    assert detail(error, ErrorInfo).reason == "BACKEND_SAYS"
    trailers = dict(error.trailing_metadata() or ())
    assert trailers["x-backend-trailer"] == "a"
    assert "x-request-id" in dict(error.initial_metadata() or ())


async def test_backend_errors_in_a_stream_pass_through(echo: Echo) -> None:
    call = echo.unary_stream()(echo.request(count=2, fail_with="ABORTED"))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        [_ async for _ in call]
    assert raised.value.code() == grpc.StatusCode.ABORTED
    assert detail(raised.value, ErrorInfo).reason == "BACKEND_SAYS"


async def test_the_access_log_has_one_json_line_per_call(
    start_gateway: StartGateway,
    backend: EchoBackend,
    echo_types: Types,
    auth_home: Path,
    tmp_path: Path,
) -> None:
    log = tmp_path / "access.log"
    gateway = await start_gateway({"accordtest.echo": [backend.address]}, access_log_path=str(log))
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}")
    echo = Echo(channel, echo_types)
    bearer = ("authorization", f"Bearer {token(auth_home, 'alice', 'echo:read')}")
    await echo.unary("Secret")(
        echo.request(text="logged"), metadata=(("x-request-id", "log-1"), bearer)
    )

    async def logged() -> list[dict[str, Any]]:
        # Envoy writes its access log (to the stdout it shares with this process) in batches.
        for _ in range(100):
            text = log.read_text() if log.exists() else ""
            lines = [
                json.loads(line) for line in text.splitlines() if '"request_id":"log-1"' in line
            ]
            if lines:
                return lines
            await asyncio.sleep(0.05)
        return []

    lines = await logged()
    await channel.close()
    assert len(lines) == 1
    line = lines[0]
    assert line["method"] == "/accordtest.echo.v3.EchoService/Secret"
    assert line["status"] == "OK"
    assert line["subject"] == "alice"
    assert line["bytes_in"] > 0
    assert line["bytes_out"] > 0
    assert line["duration_ms"] >= 0


async def test_gateway_is_reachable(gateway: Gateway) -> None:
    assert gateway.port > 0


async def test_owner_checks_decode_the_request_and_every_message_of_a_client_stream(
    echo: Echo, backend: EchoBackend, auth_home: Path
) -> None:
    alice = (("authorization", f"Bearer {token(auth_home, 'alice', 'echo:write')}"),)
    admin = (("authorization", f"Bearer {token(auth_home, 'root', 'echo:write', 'echo:admin')}"),)
    mine, theirs = echo.request(customer_id="alice"), echo.request(customer_id="bob")
    assert (await echo.unary("Owned")(mine, metadata=alice)).text == ""
    assert (await echo.stream_unary("OwnedStream")(iter([mine, mine]), metadata=alice)).count == 2
    assert (await echo.stream_unary("OwnedStream")(iter([theirs]), metadata=admin)).count == 1
    calls = len(backend.seen)
    with pytest.raises(grpc.aio.AioRpcError) as unary:
        await echo.unary("Owned")(theirs, metadata=alice)
    assert len(backend.seen) == calls  # refused before the backend
    with pytest.raises(grpc.aio.AioRpcError) as streamed:
        await echo.stream_unary("OwnedStream")(iter([mine, theirs]), metadata=alice)
    for error in (unary.value, streamed.value):
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        assert detail(error, ErrorInfo).reason == "NOT_OWNER"


async def test_a_stream_without_a_client_deadline_gets_none_by_default(
    echo: Echo, backend: EchoBackend
) -> None:
    # A watch follows its subject for as long as it lives: no 30 s default cuts it off.
    [_ async for _ in echo.unary_stream()(echo.request(count=1))]
    assert backend.seen[-1].time_remaining is None
