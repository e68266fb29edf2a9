"""Typed calls through a channel to the echo contract, for the gateway's tests."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
from google.protobuf.message import Message


class Echo:
    """Calls to one version of EchoService over `channel`."""

    def __init__(
        self,
        channel: grpc.aio.Channel,
        types: tuple[type[Message], type[Message]],
        service: str = "accordtest.echo.v3.EchoService",
    ) -> None:
        self.channel = channel
        self.request, self.response = types
        self.service = service

    def _path(self, method: str) -> str:
        return f"/{self.service}/{method}"

    def _codec(self) -> dict[str, Any]:
        return {
            "request_serializer": self.request.SerializeToString,
            "response_deserializer": self.response.FromString,
        }

    def unary(self, method: str = "Echo") -> "grpc.aio.UnaryUnaryMultiCallable[Any, Any]":
        return self.channel.unary_unary(self._path(method), **self._codec())

    def unary_stream(self, method: str = "Expand") -> "grpc.aio.UnaryStreamMultiCallable[Any, Any]":
        return self.channel.unary_stream(self._path(method), **self._codec())

    def stream_unary(
        self, method: str = "Collect"
    ) -> "grpc.aio.StreamUnaryMultiCallable[Any, Any]":
        return self.channel.stream_unary(self._path(method), **self._codec())

    def stream_stream(self, method: str = "Chat") -> "grpc.aio.StreamStreamMultiCallable[Any, Any]":
        return self.channel.stream_stream(self._path(method), **self._codec())


@asynccontextmanager
async def echo_at(
    address: str,
    types: tuple[type[Message], type[Message]],
    service: str = "accordtest.echo.v3.EchoService",
) -> AsyncIterator[Echo]:
    """Calls to `service` at `address` (a gateway's or a backend's), on a channel of their
    own that closes after the block."""
    async with grpc.aio.insecure_channel(address) as channel:
        yield Echo(channel, types, service)
