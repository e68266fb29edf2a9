"""A refused message of a client stream ends the call with the refusal, whatever the servicer
does: one that catches the refusal raised in its request iterator and answers OK (or keeps
streaming) still reaches the caller as the refusal (accord.enforcement)."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2
from google.protobuf.message import Message
from google.rpc.error_details_pb2 import ErrorInfo

from tests.integration.auth.test_service_enforcement import bearer, refusal
from tests.integration.gateway.calls import Echo, echo_at
from tests.integration.gateway.conftest import echo_enforcement
from tests.support.status import detail

pytestmark = pytest.mark.integration

LIMIT = 1024


class _Forgiving(grpc.GenericRpcHandler):
    """An echo servicer that swallows whatever its request stream raises and answers OK with
    what it read so far."""

    def __init__(self, request: type[Message], response: type[Message]) -> None:
        self.request, self.response = request, response
        self.caught: list[Exception] = []

    async def _read(self, requests: AsyncIterator[Any]) -> list[Any]:
        read = []
        try:
            async for request in requests:
                read.append(request)
        except Exception as caught:  # the defect this test is about: the servicer forgives
            self.caught.append(caught)
        return read

    async def collect(self, requests: AsyncIterator[Any], context: Any) -> Any:
        return self.response(count=len(await self._read(requests)))

    async def chat(self, requests: AsyncIterator[Any], context: Any) -> AsyncIterator[Any]:
        for _ in await self._read(requests):
            yield self.response(count=1)

    def service(self, details: grpc.HandlerCallDetails) -> Any:
        codec: dict[str, Any] = {
            "request_deserializer": self.request.FromString,
            "response_serializer": self.response.SerializeToString,
        }
        if details.method.endswith("/OwnedStream"):
            return grpc.stream_unary_rpc_method_handler(self.collect, **codec)
        if details.method.endswith("/Chat"):
            return grpc.stream_stream_rpc_method_handler(self.chat, **codec)
        return None


@pytest.fixture
async def forgiving(
    echo_types: tuple[type[Message], type[Message]],
    echo_image: descriptor_pb2.FileDescriptorSet,
    auth_home: Path,
) -> AsyncIterator[tuple[_Forgiving, Echo]]:
    servicer = _Forgiving(*echo_types)
    server = grpc.aio.server(
        interceptors=[echo_enforcement(echo_image, auth_home, max_request_bytes=LIMIT)]
    )
    server.add_generic_rpc_handlers((servicer,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with echo_at(f"127.0.0.1:{port}", echo_types) as echo:
            yield servicer, echo
    finally:
        await server.stop(0)


async def test_a_refused_owner_stays_refused_when_the_servicer_answers_ok(
    forgiving: tuple[_Forgiving, Echo], auth_home: Path
) -> None:
    servicer, echo = forgiving
    alice = [bearer(auth_home, "alice", "echo:write")]
    mine, theirs = echo.request(customer_id="alice"), echo.request(customer_id="bob")
    assert (await echo.stream_unary("OwnedStream")(iter([mine, mine]), metadata=alice)).count == 2
    call = echo.stream_unary("OwnedStream")(iter([mine, theirs, mine]), metadata=alice)
    error = await refusal(call)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert detail(error, ErrorInfo).reason == "NOT_OWNER"
    assert len(servicer.caught) == 1  # the servicer did see it, and forgave it


async def test_an_oversized_message_stays_refused_when_the_servicer_streams_on(
    forgiving: tuple[_Forgiving, Echo],
) -> None:
    servicer, echo = forgiving
    small, large = echo.request(text="hi"), echo.request(text="x" * (2 * LIMIT))
    assert len([r async for r in echo.stream_stream("Chat")(iter([small, small]))]) == 2
    call = echo.stream_stream("Chat")(iter([small, large, small]))
    answered: list[Any] = []

    async def read_all() -> None:
        async for response in call:
            answered.append(response)

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await read_all()
    assert answered == []  # nothing the servicer sends after the refusal goes out
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert detail(raised.value, ErrorInfo).reason == "MESSAGE_TOO_LARGE"
    assert len(servicer.caught) == 1
