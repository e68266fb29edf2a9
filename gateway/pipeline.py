"""Every call's way through the gateway, in this order:

1. take or make its `x-request-id`, and sort the metadata it may pass on;
2. count it against the cap on calls in flight (limits.py);
3. authenticate the caller (gateway/auth), then spend a token of its rate limit;
4. authorize it against the method's policy in the contract (gateway/auth), decoding the
   request only when the policy reads a field of it;
5. pick a healthy backend of the service (backends.py) and forward the bytes (proxy.py);
6. log and count it (observability.py).

Any refusal on the way is an RpcError (AuthFailure is one), sent as a google.rpc.Status
with details; backend errors are handed back exactly as the backend sent them.
"""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, NoReturn

import grpc
from google.protobuf.message import DecodeError, Message

from accord.rpc_status import RpcError
from gateway import proxy
from gateway.auth import (
    CREDENTIAL_HEADERS,
    IDENTITY_HEADERS,
    Authenticator,
    Principal,
    PrincipalSigner,
    authorize,
    needs_request,
)
from gateway.backends import Backend, BackendPool
from gateway.errors import internal, message_too_large, service_unavailable, undecodable_request
from gateway.limits import ConcurrencyLimiter, RateLimiter
from gateway.observability import CallRecord, Metrics, finish
from gateway.routes import MethodRoute
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

Context = grpc.aio.ServicerContext[Any, Any]
Metadata = tuple[tuple[str, str | bytes], ...]
REQUEST_ID = "x-request-id"

# Never forwarded: connection-level headers (the gateway is the backend's client), besides
# the credentials the gateway consumed and identity headers only the signer may set.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade"}
    | {"host", ":authority", "user-agent"}
)


@dataclass(frozen=True, slots=True)
class _Admitted:
    """A call that may go on: who makes it, where it goes, with what metadata and time."""

    principal: Principal | None
    metadata: Sequence[tuple[str, str | bytes]]
    timeout: float | None


class Pipeline:
    """Builds one grpc method handler per routed method, each of its real RPC shape."""

    def __init__(
        self,
        settings: GatewaySettings,
        pools: Mapping[str, BackendPool],
        authenticator: Authenticator,
        signer: PrincipalSigner,
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.pools = pools  # service full name → its pool
        self.authenticator = authenticator
        self.signer = signer
        self.metrics = metrics
        self.concurrency = ConcurrencyLimiter(
            settings.max_concurrent_calls, settings.shed_retry_after_s
        )
        self.rate = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
        self._dropped = _HOP_BY_HOP | CREDENTIAL_HEADERS | IDENTITY_HEADERS | {REQUEST_ID}

    def handler(self, route: MethodRoute) -> "grpc.RpcMethodHandler[Any, Any]":
        # grpc tells a streaming behaviour by its function kind, so each shape's method is
        # bound with partial (which keeps the kind), not wrapped in a closure.
        method = route.contract
        if method.client_streaming and method.server_streaming:
            return grpc.stream_stream_rpc_method_handler(partial(self._stream_stream, route))
        if method.client_streaming:
            return grpc.stream_unary_rpc_method_handler(partial(self._stream_unary, route))
        if method.server_streaming:
            return grpc.unary_stream_rpc_method_handler(partial(self._unary_stream, route))
        return grpc.unary_unary_rpc_method_handler(partial(self._unary_unary, route))

    # The four shapes share admission and failure handling; they differ in how bytes flow.

    async def _unary_unary(self, route: MethodRoute, request: bytes, context: Context) -> bytes:
        record, metadata, outbound = self._record(route, context)
        relay = self._relay(route, context, record)
        backend: Backend | None = None
        try:
            self.concurrency.enter()
            try:
                record.bytes_in = len(request)
                self._check_size(request)
                admitted = await self._admit(route, context, record, metadata, outbound)
                self._authorize(route, admitted.principal, request)
                backend = self._pick(route)
                return await proxy.unary_unary(
                    backend.unary_unary(route.contract.path),
                    request,
                    relay,
                    admitted.metadata,
                    admitted.timeout,
                )
            finally:
                self.concurrency.leave()
        except BaseException as error:
            await self._fail(error, route, context, record, relay, backend)
            raise
        finally:
            record.bytes_out = relay.bytes_out
            finish(record, self.metrics)

    async def _unary_stream(
        self, route: MethodRoute, request: bytes, context: Context
    ) -> AsyncIterator[bytes]:
        record, metadata, outbound = self._record(route, context)
        relay = self._relay(route, context, record)
        backend: Backend | None = None
        try:
            self.concurrency.enter()
            try:
                record.bytes_in = len(request)
                self._check_size(request)
                admitted = await self._admit(route, context, record, metadata, outbound)
                self._authorize(route, admitted.principal, request)
                backend = self._pick(route)
                async for response in proxy.unary_stream(
                    backend.unary_stream(route.contract.path),
                    request,
                    relay,
                    admitted.metadata,
                    admitted.timeout,
                ):
                    yield response
            finally:
                self.concurrency.leave()
        except BaseException as error:
            await self._fail(error, route, context, record, relay, backend)
            raise
        finally:
            record.bytes_out = relay.bytes_out
            finish(record, self.metrics)

    async def _stream_unary(
        self, route: MethodRoute, requests: AsyncIterator[bytes], context: Context
    ) -> bytes:
        record, metadata, outbound = self._record(route, context)
        relay = self._relay(route, context, record)
        backend: Backend | None = None
        try:
            self.concurrency.enter()
            try:
                admitted = await self._admit(route, context, record, metadata, outbound)
                check = self._request_check(route, admitted.principal)
                backend = self._pick(route)
                return await proxy.stream_unary(
                    backend.stream_unary(route.contract.path),
                    requests,
                    check,
                    relay,
                    admitted.metadata,
                    admitted.timeout,
                )
            finally:
                self.concurrency.leave()
        except BaseException as error:
            await self._fail(error, route, context, record, relay, backend)
            raise
        finally:
            record.bytes_in = relay.bytes_in
            record.bytes_out = relay.bytes_out
            finish(record, self.metrics)

    async def _stream_stream(
        self, route: MethodRoute, requests: AsyncIterator[bytes], context: Context
    ) -> AsyncIterator[bytes]:
        record, metadata, outbound = self._record(route, context)
        relay = self._relay(route, context, record)
        backend: Backend | None = None
        try:
            self.concurrency.enter()
            try:
                admitted = await self._admit(route, context, record, metadata, outbound)
                check = self._request_check(route, admitted.principal)
                backend = self._pick(route)
                async for response in proxy.stream_stream(
                    backend.stream_stream(route.contract.path),
                    requests,
                    check,
                    relay,
                    admitted.metadata,
                    admitted.timeout,
                ):
                    yield response
            finally:
                self.concurrency.leave()
        except BaseException as error:
            await self._fail(error, route, context, record, relay, backend)
            raise
        finally:
            record.bytes_in = relay.bytes_in
            record.bytes_out = relay.bytes_out
            finish(record, self.metrics)

    # Steps shared by every shape.

    def _record(
        self, route: MethodRoute, context: Context
    ) -> tuple[CallRecord, Metadata, list[tuple[str, str | bytes]]]:
        """The call's record (with its request id), the client's metadata, and what of it to
        forward."""
        request_id = ""
        outbound: list[tuple[str, str | bytes]] = []
        dropped = self._dropped
        metadata: Metadata = tuple(context.invocation_metadata() or ())
        for key, value in metadata:
            if key == REQUEST_ID:
                request_id = value if isinstance(value, str) else ""
            elif key not in dropped and not key.startswith("grpc-"):
                outbound.append((key, value))
        if not _valid_request_id(request_id):
            request_id = uuid.uuid4().hex
        outbound.append((REQUEST_ID, request_id))
        return CallRecord(request_id, route.contract.path), metadata, outbound

    def _relay(self, route: MethodRoute, context: Context, record: CallRecord) -> proxy.Relay:
        return proxy.Relay(
            context,
            (REQUEST_ID, record.request_id),
            route.service.lifecycle_headers,
            self.settings.max_send_message_bytes,
        )

    async def _admit(
        self,
        route: MethodRoute,
        context: Context,
        record: CallRecord,
        metadata: Metadata,
        outbound: list[tuple[str, str | bytes]],
    ) -> _Admitted:
        """Authenticate and rate-limit; the deadline and metadata for the backend call."""
        principal = await self.authenticator.authenticate(metadata)
        if principal is None:
            self.rate.take(_anonymous(context.peer()))
        else:
            record.subject = principal.subject
            self.rate.take(principal.subject)
            outbound.extend(self.signer.headers(principal, route.service.name))
        timeout = context.time_remaining()
        if timeout is None:
            settings = self.settings
            streams = route.contract.server_streaming
            timeout = settings.default_stream_deadline_s if streams else settings.default_deadline_s
        return _Admitted(principal, outbound, timeout)

    def _pick(self, route: MethodRoute) -> Backend:
        backend = self.pools[route.service.name].pick()
        if backend is None:
            raise service_unavailable(route.service.name, "no healthy backend")
        return backend

    def _check_size(self, request: bytes) -> None:
        if len(request) > self.settings.max_receive_message_bytes:
            raise message_too_large(
                "request", len(request), self.settings.max_receive_message_bytes
            )

    def _authorize(self, route: MethodRoute, principal: Principal | None, request: bytes) -> None:
        """The contract's policy; the request is decoded only when an owner check needs it."""
        message: Message | None = None
        if needs_request(route.contract, principal):
            try:
                message = route.request_type.FromString(request)
            except DecodeError:
                raise undecodable_request(route.contract.input_type) from None
        authorize(route.contract, principal, message)

    def _request_check(self, route: MethodRoute, principal: Principal | None) -> proxy.RequestCheck:
        """Each message of a client stream: the size limit, and the policy if it reads fields."""
        if needs_request(route.contract, principal):

            def check_each(request: bytes) -> None:
                self._check_size(request)
                self._authorize(route, principal, request)

            return check_each
        authorize(route.contract, principal, None)
        return self._check_size

    async def _fail(
        self,
        error: BaseException,
        route: MethodRoute,
        context: Context,
        record: CallRecord,
        relay: proxy.Relay,
        backend: Backend | None,
    ) -> None:
        """End the call with the status `error` calls for; returns only for cancellation."""
        if isinstance(error, asyncio.CancelledError | GeneratorExit):
            # grpc cancels the handler both when the client cancels and when its deadline ends.
            remaining = context.time_remaining()
            expired = remaining is not None and remaining <= 0
            record.code = (
                grpc.StatusCode.DEADLINE_EXCEEDED if expired else grpc.StatusCode.CANCELLED
            )
            return
        if isinstance(error, grpc.aio.AbortError):
            return  # context.abort already ended the call (its code was recorded before)
        if isinstance(error, grpc.aio.AioRpcError):
            if backend is None or not _unreachable(error, backend):
                await _pass_back(error, context, record, relay)
            # Skip the backend until its health check passes again.
            self.pools[route.service.name].mark(backend, healthy=False)
            log.warning(
                "%s: backend %s unreachable: %s",
                route.service.name,
                backend.address,
                error.details(),
            )
            error = service_unavailable(route.service.name, "its backend cannot be reached")
        if not isinstance(error, RpcError):
            log.error("request %s: unexpected error", record.request_id, exc_info=error)
            error = internal(record.request_id)
        record.code = error.code
        status = error.to_status()
        trailers = (*status.trailing_metadata, (REQUEST_ID, record.request_id))
        await context.abort(status.code, status.details, trailers)


async def _pass_back(
    error: grpc.aio.AioRpcError, context: Context, record: CallRecord, relay: proxy.Relay
) -> NoReturn:
    """End the call with the backend's own status: code, message, details trailer unchanged."""
    record.code = error.code()
    if error.initial_metadata():
        await relay.headers(error.initial_metadata())
    trailers = [(k, v) for k, v in error.trailing_metadata() or () if k != REQUEST_ID]
    trailers.append((REQUEST_ID, record.request_id))
    await context.abort(error.code(), error.details() or "", tuple(trailers))


def request_id_of(context: Context) -> str:
    """The client's `x-request-id` if it is valid, else a new one."""
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID and isinstance(value, str) and _valid_request_id(value):
            return value
    return uuid.uuid4().hex


def _valid_request_id(value: str) -> bool:
    """1 to 128 visible ASCII characters: safe to log and to echo in a header."""
    return 0 < len(value) <= 128 and value.isascii() and value.isprintable() and " " not in value


def _anonymous(peer: str) -> str:
    """The rate-limit key of a caller without credentials: its host, without the port."""
    return "anonymous@" + peer.rpartition(":")[0]


def _unreachable(error: grpc.aio.AioRpcError, backend: Backend) -> bool:
    """A transport failure, not a status the backend sent: no metadata, channel not READY."""
    return (
        error.code() == grpc.StatusCode.UNAVAILABLE
        and not error.initial_metadata()
        and not error.trailing_metadata()
        and backend.channel.get_state() != grpc.ChannelConnectivity.READY
    )
