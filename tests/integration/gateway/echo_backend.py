"""A backend for the edge's tests: the test-only EchoService contract, in every version.

It decodes requests with classes from the test image, answers with bytes, enforces its contract
with the platform's interceptor (accord.enforcement) like every service, and writes down what
it saw (metadata, time left, cancellations) for the tests to check.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio

from accord.rpc_status import RpcError, error_info

Context = grpc.aio.ServicerContext[Any, Any]


@dataclass
class Seen:
    """One call as the backend received it."""

    method: str
    metadata: dict[str, str | bytes]
    time_remaining: float | None


@dataclass
class EchoBackend:
    """A running echo backend on a loopback port."""

    name: str
    request_type: type[Message]
    response_type: type[Message]
    server: grpc.aio.Server = field(init=False)
    health: health_aio.HealthServicer = field(init=False)
    enforcement: grpc.aio.ServerInterceptor | None = None
    # grpc's own receive limit: the backstop above the enforcement's (accord.message_size).
    max_receive_message_length: int = 4 * 1024 * 1024
    port: int = 0
    seen: list[Seen] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self, port: int = 0, credentials: grpc.ServerCredentials | None = None) -> None:
        interceptors = [self.enforcement] if self.enforcement is not None else []
        self.server = grpc.aio.server(
            interceptors=interceptors,
            options=[("grpc.max_receive_message_length", self.max_receive_message_length)],
        )
        self.server.add_generic_rpc_handlers((_Handler(self),))
        self.health = health_aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        if credentials is None:
            self.port = self.server.add_insecure_port(f"127.0.0.1:{port}")
        else:
            self.port = self.server.add_secure_port(f"127.0.0.1:{port}", credentials)
        await self.server.start()
        await self.set_serving(True)

    async def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse
        await self.health.set("", status.SERVING if serving else status.NOT_SERVING)

    async def stop(self) -> None:
        await self.server.stop(0)

    @asynccontextmanager
    async def serving(
        self, port: int = 0, credentials: grpc.ServerCredentials | None = None
    ) -> AsyncIterator["EchoBackend"]:
        """This backend started (see `start`) for the block, and stopped after it."""
        await self.start(port, credentials)
        try:
            yield self
        finally:
            await self.stop()

    def last(self, method: str) -> Seen:
        return next(seen for seen in reversed(self.seen) if seen.method == method)

    # Behaviour, shared by every version of the service.

    async def _enter(self, method: str, request: Any, context: Context) -> None:
        metadata = {key: value for key, value in context.invocation_metadata() or ()}
        self.seen.append(Seen(method, metadata, context.time_remaining()))
        await context.send_initial_metadata((("x-backend", self.name),))
        context.set_trailing_metadata(
            (("x-backend-trailer", self.name), ("x-seen-keys", json.dumps(sorted(metadata))))
        )
        if request is not None and request.fail_with:
            code = grpc.StatusCode[request.fail_with]
            failure = RpcError(code, f"backend says {code.name}", error_info("BACKEND_SAYS"))
            status = failure.to_status()
            await context.abort(
                status.code,
                status.details,
                (*status.trailing_metadata, ("x-backend-trailer", self.name)),
            )
        if request is not None and request.sleep_seconds:
            self.started.set()
            try:
                await asyncio.sleep(request.sleep_seconds)
            except asyncio.CancelledError:
                self.cancelled.set()
                raise

    def decode(self, data: Any) -> Any:
        return data if isinstance(data, Message) else self.request_type.FromString(data)

    def response(self, **fields: Any) -> bytes:
        return self.response_type(**fields).SerializeToString()

    async def unary(self, method: str, data: bytes, context: Context) -> bytes:
        request = self.decode(data)
        await self._enter(method, request, context)
        return self.response(text=request.text, blob=request.blob * max(request.count, 1))

    async def expand(self, method: str, data: bytes, context: Context) -> AsyncIterator[bytes]:
        request = self.decode(data)
        await self._enter(method, request, context)
        for index in range(request.count):
            yield self.response(text=request.text, count=index)

    async def collect(self, method: str, requests: AsyncIterator[bytes], context: Context) -> bytes:
        await self._enter(method, None, context)
        texts = [self.decode(data).text async for data in requests]
        return self.response(text="+".join(texts), count=len(texts))

    async def chat(
        self, method: str, requests: AsyncIterator[bytes], context: Context
    ) -> AsyncIterator[bytes]:
        await self._enter(method, None, context)
        index = 0
        async for data in requests:
            request = self.decode(data)
            yield self.response(text=request.text.upper(), count=index)
            index += 1


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, backend: EchoBackend) -> None:
        self.backend = backend

    def service(self, details: grpc.HandlerCallDetails) -> "grpc.RpcMethodHandler[Any, Any] | None":
        service, _, method = details.method.lstrip("/").partition("/")
        if not service.startswith("accordtest.echo."):
            return None
        backend = self.backend
        # Requests decoded (the enforcement interceptor reads the owner field), answers as bytes.
        codec: dict[str, Any] = {
            "request_deserializer": backend.request_type.FromString,
            "response_serializer": None,
        }
        if method == "Expand":
            return grpc.unary_stream_rpc_method_handler(
                partial(backend.expand, details.method), **codec
            )
        if method in ("Collect", "OwnedStream"):
            return grpc.stream_unary_rpc_method_handler(
                partial(backend.collect, details.method), **codec
            )
        if method == "Chat":
            return grpc.stream_stream_rpc_method_handler(
                partial(backend.chat, details.method), **codec
            )
        return grpc.unary_unary_rpc_method_handler(partial(backend.unary, details.method), **codec)
