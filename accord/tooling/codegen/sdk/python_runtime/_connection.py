"""A connection to the edge (or to any server of the contracts), and the four call shapes on
it, with the contract's behaviour: credentials on every attempt, the default deadline,
retries for methods safe to retry, typed errors, deprecation notices and resumable streams.

`AsyncConnection` (grpc.aio) is the one implementation; `Connection` (in ._blocking) gives
the same calls to synchronous programs, as httpx's Client does beside its AsyncClient. So
that a deprecation warning names the caller's own line in both, the calls here report the
response headers to a callback and the public methods warn.
"""

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import Any, Final

import grpc

from ._credentials import Credentials
from ._deprecation import CALL, STREAM, Lifecycle, warn_contract, warn_headers
from ._errors import ApiError, error_from
from ._methods import Method, Request, Response
from ._retry import RetryPolicy

ExtraMetadata = Sequence[tuple[str, str]]
ChannelOptions = Sequence[tuple[str, Any]]
Headers = Sequence[tuple[str, str | bytes]]
OnHeaders = Callable[[Headers], None]


class _Default:
    """The caller did not choose a timeout: the method's default from the contract applies."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Final = _Default()
Timeout = float | None | _Default


def _timeout(method: Method[Any, Any], timeout: Timeout) -> float | None:
    return method.default_timeout if isinstance(timeout, _Default) else timeout


def _with_position(request: Request, field: str, position: object) -> Request:
    """A copy of `request` that resumes after `position`."""
    resumed = type(request)()
    resumed.CopyFrom(request)
    setattr(resumed, field, position)
    return resumed


def channel_to(
    target: str, tls: bool | grpc.ChannelCredentials, options: ChannelOptions
) -> grpc.aio.Channel:
    """`tls`: False (plaintext, for loopback development), True (the system's roots) or
    grpc.ChannelCredentials of your own."""
    if tls is False:
        return grpc.aio.insecure_channel(target, options=options)
    roots = grpc.ssl_channel_credentials() if tls is True else tls
    return grpc.aio.secure_channel(target, roots, options=options)


class AsyncConnection:
    """One grpc.aio channel and the caller's credentials, shared by every async client."""

    def __init__(
        self,
        target: str,
        *,
        credentials: Credentials | None = None,
        tls: bool | grpc.ChannelCredentials = False,
        retry: RetryPolicy | None = None,
        metadata: ExtraMetadata = (),
        options: ChannelOptions = (),
    ) -> None:
        self.channel = channel_to(target, tls, options)
        self._credentials = credentials
        self._retry = retry or RetryPolicy()
        self._metadata = tuple(metadata)
        self._callables: dict[tuple[str, str], Any] = {}
        # Credentials that never change and no extra metadata: one tuple for every call.
        fixed = credentials.fixed if credentials is not None else ()
        self._fixed = None if fixed is None else (*fixed, *self._metadata)

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> "AsyncConnection":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # The four shapes, as a program calls them: the contract's notice first, then the call,
    # then the server's notice (the warnings name the caller's line: see ._deprecation).

    async def unary(
        self,
        method: Method[Request, Response],
        request: Request,
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> Response:
        call = partial(self.call_unary, method, request, timeout, metadata)
        return await self._answered(method, lifecycle, call)

    async def server_stream(
        self,
        method: Method[Request, Response],
        request: Request,
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> AsyncIterator[Response]:
        """The responses, in order. A stream whose contract names a resumption field picks up
        after the last response it yielded when the connection breaks; any other stream is
        retried (when safe) only before its first response."""
        warn_contract(lifecycle, STREAM)
        headers: list[tuple[str, str | bytes]] = []
        responses = self.call_server_stream(method, request, timeout, metadata, headers.extend)
        async for response in responses:
            if headers:
                warn_headers(method, lifecycle, headers, STREAM)
                headers.clear()
            yield response

    async def client_stream(
        self,
        method: Method[Request, Response],
        requests: AsyncIterable[Request] | Iterable[Request],
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> Response:
        """One response for a stream of requests. Never retried: the requests are consumed."""
        call = partial(self.call_client_stream, method, requests, timeout, metadata)
        return await self._answered(method, lifecycle, call)

    async def bidi_stream(
        self,
        method: Method[Request, Response],
        requests: AsyncIterable[Request] | Iterable[Request],
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> AsyncIterator[Response]:
        warn_contract(lifecycle, STREAM)
        async for response in self.call_bidi_stream(method, requests, timeout, metadata):
            yield response

    @staticmethod
    async def _answered(
        method: Method[Any, Response],
        lifecycle: Lifecycle | None,
        call: Callable[[OnHeaders], Awaitable[Response]],
    ) -> Response:
        """The response of a call with one response, between the contract's notice and the
        server's."""
        warn_contract(lifecycle, CALL)
        headers: list[tuple[str, str | bytes]] = []
        response = await call(headers.extend)
        warn_headers(method, lifecycle, headers, CALL)
        return response

    # The calls themselves; the blocking Connection runs these on its own event loop.

    async def call_unary(
        self,
        method: Method[Request, Response],
        request: Request,
        timeout: Timeout,
        metadata: ExtraMetadata,
        on_headers: OnHeaders,
    ) -> Response:
        deadline = self._deadline(method, timeout)
        attempt = 1
        while True:
            call = await self._call("unary_unary", method, request, _remaining(deadline), metadata)
            try:
                response: Response = await call
            except grpc.aio.AioRpcError as failure:
                error = error_from(failure)
                delay = self._retry_delay(method, attempt, error, deadline)
                if delay is None:
                    raise error from failure
                await asyncio.sleep(delay)
                attempt += 1
                continue
            on_headers(await call.initial_metadata() or ())
            return response

    async def call_server_stream(
        self,
        method: Method[Request, Response],
        request: Request,
        timeout: Timeout,
        metadata: ExtraMetadata,
        on_headers: OnHeaders,
    ) -> AsyncIterator[Response]:
        deadline = self._deadline(method, timeout)
        resumption = method.resumption
        attempt, current, started = 1, request, False
        while True:
            call = await self._call("unary_stream", method, current, _remaining(deadline), metadata)
            try:
                if not started:
                    on_headers(await call.initial_metadata() or ())
                async for response in call:
                    started, attempt = True, 1
                    if resumption is not None:
                        position = getattr(response, resumption.response_field)
                        current = _with_position(request, resumption.request_field, position)
                    yield response
                return
            except grpc.aio.AioRpcError as failure:
                error = error_from(failure)
                resumable = resumption is not None or not started
                delay = self._retry_delay(method, attempt, error, deadline) if resumable else None
                if delay is None:
                    raise error from failure
            finally:
                call.cancel()  # a no-op once the stream ended; frees it when the caller left
            await asyncio.sleep(delay)
            attempt += 1

    async def call_client_stream(
        self,
        method: Method[Request, Response],
        requests: AsyncIterable[Request] | Iterable[Request],
        timeout: Timeout,
        metadata: ExtraMetadata,
        on_headers: OnHeaders,
    ) -> Response:
        call = await self._call(
            "stream_unary", method, requests, _timeout(method, timeout), metadata
        )
        try:
            response: Response = await call
        except grpc.aio.AioRpcError as failure:
            raise error_from(failure) from failure
        on_headers(await call.initial_metadata() or ())
        return response

    async def call_bidi_stream(
        self,
        method: Method[Request, Response],
        requests: AsyncIterable[Request] | Iterable[Request],
        timeout: Timeout,
        metadata: ExtraMetadata,
    ) -> AsyncIterator[Response]:
        call = await self._call(
            "stream_stream", method, requests, _timeout(method, timeout), metadata
        )
        try:
            async for response in call:
                yield response
        except grpc.aio.AioRpcError as failure:
            raise error_from(failure) from failure
        finally:
            call.cancel()

    async def _call(
        self,
        shape: str,
        method: Method[Any, Any],
        first: Any,
        seconds: float | None,
        metadata: ExtraMetadata,
    ) -> Any:
        """One attempt of `method` in `shape` (a grpc.aio call object), given its request or
        its requests, with `seconds` to run and the credentials' metadata."""
        multicallable = self._callable(shape, method)
        return multicallable(first, timeout=seconds, metadata=await self._call_metadata(metadata))

    def _callable(self, shape: str, method: Method[Any, Any]) -> Any:
        key = (shape, method.path)
        found = self._callables.get(key)
        if found is None:
            factory = getattr(self.channel, shape)
            found = factory(
                method.path,
                request_serializer=method.request_type.SerializeToString,
                response_deserializer=method.response_type.FromString,
            )
            self._callables[key] = found
        return found

    async def _call_metadata(self, extra: ExtraMetadata) -> tuple[tuple[str, str], ...]:
        if self._fixed is not None:
            return (*self._fixed, *extra) if extra else self._fixed
        own = await self._credentials.metadata() if self._credentials is not None else ()
        return (*own, *self._metadata, *extra)

    @staticmethod
    def _deadline(method: Method[Any, Any], timeout: Timeout) -> float | None:
        seconds = _timeout(method, timeout)
        return None if seconds is None else time.monotonic() + seconds

    def _retry_delay(
        self, method: Method[Any, Any], attempt: int, error: ApiError, deadline: float | None
    ) -> float | None:
        """Seconds before the next attempt, or None: not safe, not worth it, or no time left."""
        if not method.idempotent:
            return None
        delay = self._retry.delay(attempt, error)
        if delay is None or (deadline is not None and time.monotonic() + delay >= deadline):
            return None
        return delay


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)


__all__ = ["DEFAULT", "AsyncConnection", "Timeout"]
