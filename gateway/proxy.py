"""Forwarding the four RPC shapes: bytes in, bytes out, headers and trailers relayed.

Nothing here decides whether a call may pass; pipeline.py has done that. Backend errors
leave these functions as grpc.aio.AioRpcError for pipeline.py to hand back unchanged.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any

import grpc

from gateway.errors import message_too_large

Metadata = Sequence[tuple[str, str | bytes]]
# What a backend call returns as headers or trailers.
BackendMetadata = grpc.aio.Metadata | Iterable[tuple[str, str | bytes]] | None
# Checks one request message of a client stream (size, owner); raises to stop the call.
RequestCheck = Callable[[bytes], None]


class Relay:
    """The client's side of one call: where backend headers and trailers go, and byte counts.

    Headers are sent only when there is something to add: sending them on their own costs a
    unary call about a fifth of the gateway's CPU. So the request id always rides in the
    trailers, and in the headers too whenever headers go out.
    """

    __slots__ = (
        "bytes_in",
        "bytes_out",
        "context",
        "gateway_headers",
        "headers_sent",
        "max_send",
        "request_id",
    )

    def __init__(
        self,
        context: grpc.aio.ServicerContext[Any, Any],
        request_id: tuple[str, str],
        gateway_headers: tuple[tuple[str, str], ...],
        max_send: int,
    ) -> None:
        self.context = context
        self.request_id = request_id  # ("x-request-id", value)
        self.gateway_headers = gateway_headers  # the lifecycle headers of a deprecated version
        self.max_send = max_send
        self.headers_sent = False
        self.bytes_in = 0
        self.bytes_out = 0

    async def headers(self, backend: BackendMetadata) -> None:
        """Send the backend's headers with the gateway's own, if there are any."""
        if self.headers_sent or not (backend or self.gateway_headers):
            return
        self.headers_sent = True
        ours = {key for key, _ in self.gateway_headers} | {self.request_id[0]}
        relayed = [(key, value) for key, value in backend or () if key not in ours]
        await self.context.send_initial_metadata((*relayed, *self.gateway_headers, self.request_id))

    def trailers(self, backend: BackendMetadata) -> None:
        if not backend:
            self.context.set_trailing_metadata((self.request_id,))
            return
        key = self.request_id[0]
        relayed = [(name, value) for name, value in backend if name != key]
        self.context.set_trailing_metadata((*relayed, self.request_id))

    def response(self, message: bytes) -> bytes:
        size = len(message)
        if size > self.max_send:
            raise message_too_large("response", size, self.max_send)
        self.bytes_out += size
        return message


async def unary_unary(
    method: "grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]",
    request: bytes,
    relay: Relay,
    metadata: Metadata,
    timeout: float | None,
) -> bytes:
    call = method(request, timeout=timeout, metadata=metadata)
    try:
        response: bytes = await call
    except asyncio.CancelledError:
        call.cancel()  # the client went away: so does the backend call
        raise
    headers = await call.initial_metadata()
    if headers or relay.gateway_headers:  # else relay.headers has nothing to send
        await relay.headers(headers)
    relay.trailers(await call.trailing_metadata())
    return relay.response(response)


async def unary_stream(
    method: "grpc.aio.UnaryStreamMultiCallable[bytes, bytes]",
    request: bytes,
    relay: Relay,
    metadata: Metadata,
    timeout: float | None,
) -> AsyncIterator[bytes]:
    call = method(request, timeout=timeout, metadata=metadata)
    try:
        # Headers go out before the first message, as the backend sent them.
        await relay.headers(await call.initial_metadata())
        async for response in call:
            yield relay.response(response)
        relay.trailers(await call.trailing_metadata())
    finally:
        call.cancel()  # a no-op once the call is done; otherwise the client went away


async def stream_unary(
    method: "grpc.aio.StreamUnaryMultiCallable[bytes, bytes]",
    requests: AsyncIterator[bytes],
    check: RequestCheck,
    relay: Relay,
    metadata: Metadata,
    timeout: float | None,
) -> bytes:
    checked = _Checked(requests, check, relay)
    call = method(checked.iterate(), timeout=timeout, metadata=metadata)
    try:
        response: bytes = await call
    except (asyncio.CancelledError, grpc.aio.AioRpcError):
        call.cancel()
        checked.raise_failure()
        raise
    await relay.headers(await call.initial_metadata())
    relay.trailers(await call.trailing_metadata())
    return relay.response(response)


async def stream_stream(
    method: "grpc.aio.StreamStreamMultiCallable[bytes, bytes]",
    requests: AsyncIterator[bytes],
    check: RequestCheck,
    relay: Relay,
    metadata: Metadata,
    timeout: float | None,
) -> AsyncIterator[bytes]:
    checked = _Checked(requests, check, relay)
    call = method(checked.iterate(), timeout=timeout, metadata=metadata)
    try:
        await relay.headers(await call.initial_metadata())
        async for response in call:
            yield relay.response(response)
        relay.trailers(await call.trailing_metadata())
    except (asyncio.CancelledError, grpc.aio.AioRpcError):
        checked.raise_failure()
        raise
    finally:
        call.cancel()


class _Checked:
    """A client stream passed on message by message, stopped by the first failed check.

    grpc cancels a call whose request iterator raises; the failure is kept here so that
    the client gets the check's status instead of CANCELLED. The backend sees that
    cancellation a moment after what looks like the stream's end: a servicer that stores a
    whole stream at its end waits for it (accord/client_streams.py).
    """

    __slots__ = ("check", "failure", "relay", "requests")

    def __init__(self, requests: AsyncIterator[bytes], check: RequestCheck, relay: Relay):
        self.requests = requests
        self.check = check
        self.relay = relay
        self.failure: Exception | None = None

    async def iterate(self) -> AsyncIterator[bytes]:
        async for request in self.requests:
            try:
                self.check(request)
            except Exception as failure:
                self.failure = failure
                raise
            self.relay.bytes_in += len(request)
            yield request

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure
