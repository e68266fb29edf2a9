"""A connection to the edge (or to any server of the contracts), and the four call shapes on
it, with the contract's behaviour: credentials on every attempt, the default deadline,
retries for methods safe to retry, typed errors, deprecation notices and resumable streams.

`AsyncConnection` (grpc.aio) and `Connection` (blocking grpc) mirror each other, as httpx's
AsyncClient and Client do; the generated clients sit on one or the other.
"""

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Sequence
from typing import Any, Final

import grpc

from ._credentials import Credentials
from ._deprecation import Lifecycle, warn_contract, warn_headers
from ._errors import ApiError, error_from
from ._methods import Method, Request, Response
from ._retry import RetryPolicy

ExtraMetadata = Sequence[tuple[str, str]]
ChannelOptions = Sequence[tuple[str, Any]]


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


class _Base:
    def __init__(
        self,
        credentials: Credentials | None,
        retry: RetryPolicy,
        metadata: ExtraMetadata,
    ) -> None:
        self._credentials = credentials
        self._retry = retry
        self._metadata = tuple(metadata)
        self._callables: dict[tuple[str, str], Any] = {}
        # Credentials that never change and no extra metadata: one tuple for every call.
        fixed = credentials.fixed if credentials is not None else ()
        self._fixed = None if fixed is None else (*fixed, *self._metadata)

    def _callable(self, channel: Any, shape: str, method: Method[Any, Any]) -> Any:
        key = (shape, method.path)
        found = self._callables.get(key)
        if found is None:
            factory = getattr(channel, shape)
            found = factory(
                method.path,
                request_serializer=method.request_type.SerializeToString,
                response_deserializer=method.response_type.FromString,
            )
            self._callables[key] = found
        return found

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


class AsyncConnection(_Base):
    """One grpc.aio channel and the caller's credentials, shared by every async client.

    `target` is `host:port`; `tls` is False (plaintext, for loopback development), True
    (the system's roots) or grpc.ChannelCredentials of your own."""

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
        super().__init__(credentials, retry or RetryPolicy(), metadata)
        if tls is False:
            self.channel = grpc.aio.insecure_channel(target, options=options)
        else:
            roots = grpc.ssl_channel_credentials() if tls is True else tls
            self.channel = grpc.aio.secure_channel(target, roots, options=options)

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> "AsyncConnection":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call_metadata(self, extra: ExtraMetadata) -> tuple[tuple[str, str], ...]:
        if self._fixed is not None:
            return (*self._fixed, *extra) if extra else self._fixed
        own = await self._credentials.metadata() if self._credentials is not None else ()
        return (*own, *self._metadata, *extra)

    async def unary(
        self,
        method: Method[Request, Response],
        request: Request,
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> Response:
        if lifecycle is not None:
            warn_contract(lifecycle)
        multicallable = self._callable(self.channel, "unary_unary", method)
        seconds = _timeout(method, timeout)
        deadline = None if seconds is None else time.monotonic() + seconds
        attempt = 1
        while True:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            call = multicallable(
                request, timeout=remaining, metadata=await self._call_metadata(metadata)
            )
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
            if lifecycle is None:
                warn_headers(_service_of(method), await call.initial_metadata() or ())
            return response

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
        if lifecycle is not None:
            warn_contract(lifecycle)
        multicallable = self._callable(self.channel, "unary_stream", method)
        seconds = _timeout(method, timeout)
        deadline = None if seconds is None else time.monotonic() + seconds
        resumption = method.resumption
        attempt, current, started = 1, request, False
        while True:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            call = multicallable(
                current, timeout=remaining, metadata=await self._call_metadata(metadata)
            )
            try:
                if lifecycle is None and not started:
                    warn_headers(_service_of(method), await call.initial_metadata() or ())
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
        if lifecycle is not None:
            warn_contract(lifecycle)
        multicallable = self._callable(self.channel, "stream_unary", method)
        call = multicallable(
            requests,
            timeout=_timeout(method, timeout),
            metadata=await self._call_metadata(metadata),
        )
        try:
            response: Response = await call
        except grpc.aio.AioRpcError as failure:
            raise error_from(failure) from failure
        if lifecycle is None:
            warn_headers(_service_of(method), await call.initial_metadata() or ())
        return response

    async def bidi_stream(
        self,
        method: Method[Request, Response],
        requests: AsyncIterable[Request] | Iterable[Request],
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> AsyncIterator[Response]:
        if lifecycle is not None:
            warn_contract(lifecycle)
        multicallable = self._callable(self.channel, "stream_stream", method)
        call = multicallable(
            requests,
            timeout=_timeout(method, timeout),
            metadata=await self._call_metadata(metadata),
        )
        try:
            async for response in call:
                yield response
        except grpc.aio.AioRpcError as failure:
            raise error_from(failure) from failure
        finally:
            call.cancel()


class Connection(_Base):
    """The blocking twin of AsyncConnection, for scripts and synchronous programs."""

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
        super().__init__(credentials, retry or RetryPolicy(), metadata)
        if tls is False:
            self.channel = grpc.insecure_channel(target, options=options)
        else:
            roots = grpc.ssl_channel_credentials() if tls is True else tls
            self.channel = grpc.secure_channel(target, roots, options=options)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call_metadata(self, extra: ExtraMetadata) -> tuple[tuple[str, str], ...]:
        if self._fixed is not None:
            return (*self._fixed, *extra) if extra else self._fixed
        own = self._credentials.metadata_sync() if self._credentials is not None else ()
        return (*own, *self._metadata, *extra)

    def unary(
        self,
        method: Method[Request, Response],
        request: Request,
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> Response:
        if lifecycle is not None:
            warn_contract(lifecycle)
        multicallable = self._callable(self.channel, "unary_unary", method)
        seconds = _timeout(method, timeout)
        deadline = None if seconds is None else time.monotonic() + seconds
        attempt = 1
        while True:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                response, call = multicallable.with_call(
                    request, timeout=remaining, metadata=self._call_metadata(metadata)
                )
            except grpc.RpcError as failure:
                error = error_from(failure)
                delay = self._retry_delay(method, attempt, error, deadline)
                if delay is None:
                    raise error from failure
                time.sleep(delay)
                attempt += 1
                continue
            if lifecycle is None:
                warn_headers(_service_of(method), call.initial_metadata() or ())
            result: Response = response
            return result

    def server_stream(
        self,
        method: Method[Request, Response],
        request: Request,
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> Iterator[Response]:
        if lifecycle is not None:
            warn_contract(lifecycle)
        multicallable = self._callable(self.channel, "unary_stream", method)
        seconds = _timeout(method, timeout)
        deadline = None if seconds is None else time.monotonic() + seconds
        resumption = method.resumption
        attempt, current, started = 1, request, False
        while True:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            call = multicallable(current, timeout=remaining, metadata=self._call_metadata(metadata))
            try:
                if lifecycle is None and not started:
                    warn_headers(_service_of(method), call.initial_metadata() or ())
                for response in call:
                    started, attempt = True, 1
                    if resumption is not None:
                        position = getattr(response, resumption.response_field)
                        current = _with_position(request, resumption.request_field, position)
                    yield response
                return
            except grpc.RpcError as failure:
                error = error_from(failure)
                resumable = resumption is not None or not started
                delay = self._retry_delay(method, attempt, error, deadline) if resumable else None
                if delay is None:
                    raise error from failure
            finally:
                call.cancel()
            time.sleep(delay)
            attempt += 1

    def client_stream(
        self,
        method: Method[Request, Response],
        requests: Iterable[Request],
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> Response:
        if lifecycle is not None:
            warn_contract(lifecycle)
        multicallable = self._callable(self.channel, "stream_unary", method)
        try:
            response, call = multicallable.with_call(
                iter(requests),
                timeout=_timeout(method, timeout),
                metadata=self._call_metadata(metadata),
            )
        except grpc.RpcError as failure:
            raise error_from(failure) from failure
        if lifecycle is None:
            warn_headers(_service_of(method), call.initial_metadata() or ())
        result: Response = response
        return result

    def bidi_stream(
        self,
        method: Method[Request, Response],
        requests: Iterable[Request],
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> Iterator[Response]:
        if lifecycle is not None:
            warn_contract(lifecycle)
        multicallable = self._callable(self.channel, "stream_stream", method)
        call = multicallable(
            iter(requests),
            timeout=_timeout(method, timeout),
            metadata=self._call_metadata(metadata),
        )
        try:
            yield from call
        except grpc.RpcError as failure:
            raise error_from(failure) from failure
        finally:
            call.cancel()


def _service_of(method: Method[Any, Any]) -> str:
    return method.path.lstrip("/").partition("/")[0]


__all__ = ["DEFAULT", "AsyncConnection", "Connection", "Timeout"]
