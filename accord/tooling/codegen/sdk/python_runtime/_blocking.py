"""`Connection`: the calls of `AsyncConnection` for synchronous programs.

One implementation of the contract's behaviour (retries, deadlines, resumption, typed
errors) serves both flavours: a blocking connection runs an AsyncConnection on an event loop
of its own, in a daemon thread, and waits for each call there. The caller's thread only
warns (so that a deprecation names the caller's line) and hands over requests and results.
"""

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator
from functools import partial
from typing import Any, TypeVar

import grpc

from ._connection import (
    DEFAULT,
    AsyncConnection,
    ChannelOptions,
    ExtraMetadata,
    OnHeaders,
    Timeout,
)
from ._credentials import Credentials
from ._deprecation import CALL, STREAM, Lifecycle, warn_contract, warn_headers
from ._methods import Method, Request, Response
from ._retry import RetryPolicy

T = TypeVar("T")


class Connection:
    """A blocking connection: `with Connection(target, credentials=...) as connection:`."""

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
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"acme-sdk {target}", daemon=True
        )
        self._thread.start()

        async def connect() -> AsyncConnection:  # the channel belongs to the loop's thread
            return AsyncConnection(
                target,
                credentials=credentials,
                tls=tls,
                retry=retry,
                metadata=metadata,
                options=options,
            )

        self._async = self._wait(connect())

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._wait(self._async.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def unary(
        self,
        method: Method[Request, Response],
        request: Request,
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> Response:
        call = partial(self._async.call_unary, method, request, timeout, metadata)
        return self._answered(method, lifecycle, call)

    def server_stream(
        self,
        method: Method[Request, Response],
        request: Request,
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> Iterator[Response]:
        warn_contract(lifecycle, STREAM)
        headers: list[tuple[str, str | bytes]] = []
        responses = self._async.call_server_stream(
            method, request, timeout, metadata, headers.extend
        )
        for response in self._iterate(responses):
            if headers:
                warn_headers(method, lifecycle, headers, STREAM)
                headers.clear()
            yield response

    def client_stream(
        self,
        method: Method[Request, Response],
        requests: Iterable[Request],
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> Response:
        call = partial(self._async.call_client_stream, method, requests, timeout, metadata)
        return self._answered(method, lifecycle, call)

    def bidi_stream(
        self,
        method: Method[Request, Response],
        requests: Iterable[Request],
        *,
        timeout: Timeout = DEFAULT,
        metadata: ExtraMetadata = (),
        lifecycle: Lifecycle | None = None,
    ) -> Iterator[Response]:
        warn_contract(lifecycle, STREAM)
        yield from self._iterate(self._async.call_bidi_stream(method, requests, timeout, metadata))

    def _answered(
        self,
        method: Method[Any, Response],
        lifecycle: Lifecycle | None,
        call: Callable[[OnHeaders], Coroutine[Any, Any, Response]],
    ) -> Response:
        """The response of a call with one response (run on the loop), between the contract's
        notice and the server's (here, in the caller's thread)."""
        warn_contract(lifecycle, CALL)
        headers: list[tuple[str, str | bytes]] = []
        response = self._wait(call(headers.extend))
        warn_headers(method, lifecycle, headers, CALL)
        return response

    def _wait(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def _iterate(self, responses: AsyncIterator[T]) -> Iterator[T]:
        """The items of an async iterator of the loop, one wait each; closing this iterator
        (the caller left its loop) closes that one, which cancels its call."""

        async def step() -> tuple[bool, T | None]:
            try:
                return True, await anext(responses)
            except StopAsyncIteration:
                return False, None

        try:
            while True:
                more, item = self._wait(step())
                if not more:
                    return
                yield item  # type: ignore[misc]  # `more` says it is a T
        finally:
            closing = getattr(responses, "aclose", None)
            if closing is not None and not self._loop.is_closed():
                self._wait(_awaited(closing()))


async def _awaited(work: Awaitable[None]) -> None:
    await work


__all__ = ["Connection"]
