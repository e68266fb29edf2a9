"""Every service's server maps what a method raises to its status, in all four call shapes:
no servicer method needs a decorator of its own (accord.error_mapping, installed by
accord.grpc_server)."""

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2

from accord.grpc_server import bind_grpc_server
from accord.rpc_status import RpcError, details_of, error_info, reason_of

pytestmark = pytest.mark.integration

SERVICE = "test.Shapes"


def _refusal(shape: str) -> RpcError:
    return RpcError(grpc.StatusCode.FAILED_PRECONDITION, f"{shape} refused", error_info(shape))


class _Refuses(grpc.GenericRpcHandler):
    """Each method answers once (streams: one message first), then raises an RpcError or,
    for `Crash`, a plain exception."""

    def service(self, details: grpc.HandlerCallDetails) -> Any:
        method = str(details.method).rsplit("/", 1)[-1]

        async def unary_unary(request: bytes, context: Any) -> bytes:
            if method == "Crash":
                raise KeyError("a bug")
            raise _refusal("UNARY_UNARY")

        async def unary_stream(request: bytes, context: Any) -> AsyncIterator[bytes]:
            yield b"first"
            raise _refusal("UNARY_STREAM")

        async def stream_unary(requests: AsyncIterator[bytes], context: Any) -> bytes:
            async for _ in requests:
                raise _refusal("STREAM_UNARY")
            return b"never"

        async def stream_stream(
            requests: AsyncIterator[bytes], context: Any
        ) -> AsyncIterator[bytes]:
            async for request in requests:
                yield request
                raise _refusal("STREAM_STREAM")

        handlers: dict[str, Any] = {
            "Unary": grpc.unary_unary_rpc_method_handler(unary_unary),
            "Crash": grpc.unary_unary_rpc_method_handler(unary_unary),
            "ServerStream": grpc.unary_stream_rpc_method_handler(unary_stream),
            "ClientStream": grpc.stream_unary_rpc_method_handler(stream_unary),
            "BothStream": grpc.stream_stream_rpc_method_handler(stream_stream),
        }
        return handlers.get(method)


@pytest.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    def register(server: grpc.aio.Server) -> None:
        server.add_generic_rpc_handlers((_Refuses(),))

    server = bind_grpc_server("127.0.0.1:0", [register], [SERVICE])
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as opened:
            yield opened
    finally:
        await server.stop(0)


def _method(channel: grpc.aio.Channel, shape: str, name: str) -> Any:
    """A callable for `name` in `shape` (bytes in, bytes out: no serializers)."""
    return getattr(channel, shape)(f"/{SERVICE}/{name}")


def _assert_refused(error: grpc.aio.AioRpcError, shape: str) -> None:
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error.details() == f"{shape} refused"
    assert reason_of(error) == shape


async def test_a_unary_method_answers_its_rpc_error(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await _method(channel, "unary_unary", "Unary")(b"x")
    _assert_refused(raised.value, "UNARY_UNARY")


async def _read(call: Any, received: list[bytes]) -> None:
    async for response in call:
        received.append(response)


async def test_a_server_stream_ends_with_its_rpc_error(channel: grpc.aio.Channel) -> None:
    received: list[bytes] = []
    call = _method(channel, "unary_stream", "ServerStream")(b"x")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await _read(call, received)
    assert received == [b"first"]
    _assert_refused(raised.value, "UNARY_STREAM")


async def test_a_client_stream_answers_its_rpc_error(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await _method(channel, "stream_unary", "ClientStream")(iter([b"a", b"b"]))
    _assert_refused(raised.value, "STREAM_UNARY")


async def test_a_bidirectional_stream_ends_with_its_rpc_error(channel: grpc.aio.Channel) -> None:
    received: list[bytes] = []
    call = _method(channel, "stream_stream", "BothStream")(iter([b"a", b"b"]))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await _read(call, received)
    assert received == [b"a"]
    _assert_refused(raised.value, "STREAM_STREAM")


async def test_any_other_exception_is_internal_with_a_request_id(
    channel: grpc.aio.Channel,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await _method(channel, "unary_unary", "Crash")(b"x", metadata=[("x-request-id", "r-42")])
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert "KeyError" not in (raised.value.details() or "")
    info = error_details_pb2.RequestInfo()
    assert any(detail.Unpack(info) for detail in details_of(raised.value))
    assert info.request_id == "r-42"
