"""A servicer that stores a client stream at its end stores nothing of a cancelled one."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from accord.client_streams import ensure_not_cancelled

pytestmark = pytest.mark.integration


class _StoresAtTheEnd(grpc.GenericRpcHandler):
    def __init__(self) -> None:
        self.stored: list[list[bytes]] = []

    def service(self, details: grpc.HandlerCallDetails) -> Any:
        async def collect(requests: AsyncIterator[bytes], context: Any) -> bytes:
            batch = [request async for request in requests]
            await ensure_not_cancelled(context)
            self.stored.append(batch)
            return b"stored"

        return grpc.stream_unary_rpc_method_handler(collect)


async def test_a_closed_stream_is_stored_and_a_cancelled_one_is_not() -> None:
    handler = _StoresAtTheEnd()
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            method: Any = channel.stream_unary("/test.Streams/Collect")
            assert await method(iter([b"a", b"b"])) == b"stored"
            for _ in range(20):
                # What the gateway does on a refused message: its request iterator raises,
                # grpc cancels the call, and the server first sees a plain end of stream.
                async def refused_after_one() -> AsyncIterator[bytes]:
                    yield b"ok"
                    await asyncio.sleep(0.005)
                    raise PermissionError("the next message names another customer")

                with pytest.raises((grpc.aio.AioRpcError, asyncio.CancelledError)):
                    await method(refused_after_one())
            await asyncio.sleep(0.1)
    finally:
        await server.stop(0)
    assert handler.stored == [[b"a", b"b"]]
