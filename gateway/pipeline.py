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
import os
from collections.abc import AsyncIterator, Mapping
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
)
from gateway.auth._authenticator import API_KEY, AUTHORIZATION
from gateway.auth._authorize import MethodPolicy
from gateway.backends import Backend, BackendPool
from gateway.errors import internal, message_too_large, service_unavailable, undecodable_request
from gateway.limits import ConcurrencyLimiter, RateLimiter
from gateway.observability import CallRecord, Metrics, finish
from gateway.routes import MethodRoute, ServiceRoute
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

Context = grpc.aio.ServicerContext[Any, Any]
Metadata = tuple[tuple[str, str | bytes], ...]
Outbound = list[tuple[str, str | bytes]]
REQUEST_ID = "x-request-id"

# Never forwarded: connection-level headers (the gateway is the backend's client), besides
# the credentials the gateway consumed and identity headers only the signer may set.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade"}
    | {"host", ":authority", "user-agent"}
)


class _Method:
    """What every call of one routed method shares, worked out once when its handler is built:
    its path, service and pool, its compiled policy, the headers its version's lifecycle adds,
    and the deadline it gets when the client sets none."""

    __slots__ = (
        "contract",
        "default_timeout",
        "gateway_headers",
        "path",
        "policy",
        "pool",
        "request_type",
        "route",
        "service",
    )

    def __init__(self, route: MethodRoute, pool: BackendPool, settings: GatewaySettings) -> None:
        self.route = route
        self.contract = route.contract
        self.service: ServiceRoute = route.service
        self.path = route.contract.path
        self.pool = pool
        self.policy = MethodPolicy(route.contract)
        self.gateway_headers = route.service.lifecycle_headers
        self.request_type = route.request_type
        self.default_timeout = (
            settings.default_stream_deadline_s
            if route.contract.server_streaming
            else settings.default_deadline_s
        )


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
        self._rate_limited = settings.rate_limit_per_s > 0
        self._max_receive = settings.max_receive_message_bytes
        self._max_send = settings.max_send_message_bytes

    def handler(self, route: MethodRoute) -> "grpc.RpcMethodHandler[Any, Any]":
        # grpc tells a streaming behaviour by its function kind, so each shape's method is
        # bound with partial (which keeps the kind), not wrapped in a closure.
        method = _Method(route, self.pools[route.service.name], self.settings)
        contract = route.contract
        if contract.client_streaming and contract.server_streaming:
            return grpc.stream_stream_rpc_method_handler(partial(self._stream_stream, method))
        if contract.client_streaming:
            return grpc.stream_unary_rpc_method_handler(partial(self._stream_unary, method))
        if contract.server_streaming:
            return grpc.unary_stream_rpc_method_handler(partial(self._unary_stream, method))
        return grpc.unary_unary_rpc_method_handler(partial(self._unary_unary, method))

    # The four shapes share admission and failure handling; they differ in how bytes flow.

    async def _unary_unary(self, method: _Method, request: bytes, context: Context) -> bytes:
        record, outbound, credentials = self._record(method, context)
        relay = proxy.Relay(
            context, (REQUEST_ID, record.request_id), method.gateway_headers, self._max_send
        )
        backend: Backend | None = None
        try:
            self.concurrency.enter()
            try:
                size = record.bytes_in = len(request)
                if size > self._max_receive:
                    self._check_size(request)
                principal, timeout = await self._admit(
                    method, context, record, outbound, credentials
                )
                self._authorize(method, principal, request)
                backend = self._pick(method)
                return await proxy.unary_unary(
                    backend.unary_unary(method.path), request, relay, outbound, timeout
                )
            finally:
                self.concurrency.leave()
        except BaseException as error:
            await self._fail(error, method, context, record, relay, backend)
            raise
        finally:
            record.bytes_out = relay.bytes_out
            finish(record, self.metrics)

    async def _unary_stream(
        self, method: _Method, request: bytes, context: Context
    ) -> AsyncIterator[bytes]:
        record, outbound, credentials = self._record(method, context)
        relay = proxy.Relay(
            context, (REQUEST_ID, record.request_id), method.gateway_headers, self._max_send
        )
        backend: Backend | None = None
        try:
            self.concurrency.enter()
            try:
                record.bytes_in = len(request)
                self._check_size(request)
                principal, timeout = await self._admit(
                    method, context, record, outbound, credentials
                )
                self._authorize(method, principal, request)
                backend = self._pick(method)
                async for response in proxy.unary_stream(
                    backend.unary_stream(method.path), request, relay, outbound, timeout
                ):
                    yield response
            finally:
                self.concurrency.leave()
        except BaseException as error:
            await self._fail(error, method, context, record, relay, backend)
            raise
        finally:
            record.bytes_out = relay.bytes_out
            finish(record, self.metrics)

    async def _stream_unary(
        self, method: _Method, requests: AsyncIterator[bytes], context: Context
    ) -> bytes:
        record, outbound, credentials = self._record(method, context)
        relay = proxy.Relay(
            context, (REQUEST_ID, record.request_id), method.gateway_headers, self._max_send
        )
        backend: Backend | None = None
        try:
            self.concurrency.enter()
            try:
                principal, timeout = await self._admit(
                    method, context, record, outbound, credentials
                )
                check = self._request_check(method, principal)
                backend = self._pick(method)
                return await proxy.stream_unary(
                    backend.stream_unary(method.path), requests, check, relay, outbound, timeout
                )
            finally:
                self.concurrency.leave()
        except BaseException as error:
            await self._fail(error, method, context, record, relay, backend)
            raise
        finally:
            record.bytes_in = relay.bytes_in
            record.bytes_out = relay.bytes_out
            finish(record, self.metrics)

    async def _stream_stream(
        self, method: _Method, requests: AsyncIterator[bytes], context: Context
    ) -> AsyncIterator[bytes]:
        record, outbound, credentials = self._record(method, context)
        relay = proxy.Relay(
            context, (REQUEST_ID, record.request_id), method.gateway_headers, self._max_send
        )
        backend: Backend | None = None
        try:
            self.concurrency.enter()
            try:
                principal, timeout = await self._admit(
                    method, context, record, outbound, credentials
                )
                check = self._request_check(method, principal)
                backend = self._pick(method)
                async for response in proxy.stream_stream(
                    backend.stream_stream(method.path), requests, check, relay, outbound, timeout
                ):
                    yield response
            finally:
                self.concurrency.leave()
        except BaseException as error:
            await self._fail(error, method, context, record, relay, backend)
            raise
        finally:
            record.bytes_in = relay.bytes_in
            record.bytes_out = relay.bytes_out
            finish(record, self.metrics)

    # Steps shared by every shape.

    def _record(self, method: _Method, context: Context) -> tuple[CallRecord, Outbound, Outbound]:
        """One pass over the client's metadata: the call's record (with its request id), what
        of the metadata to forward, and the credential headers (for authentication).

        grpc hands metadata keys over in lower case (it refuses others), so the frozenset of
        keys never to forward decides everything but `grpc-` keys with one lookup."""
        request_id = ""
        outbound: Outbound = []
        credentials: Outbound = []
        dropped = self._dropped
        for pair in context.invocation_metadata() or ():
            key = pair[0]
            if key in dropped:
                if key == REQUEST_ID:
                    value = pair[1]
                    request_id = value if isinstance(value, str) else ""
                elif key in CREDENTIAL_HEADERS:
                    credentials.append(pair)
            elif not key.startswith("grpc-"):
                outbound.append(pair)
        if not (request_id and _valid_request_id(request_id)):
            request_id = _new_request_id()
        outbound.append((REQUEST_ID, request_id))
        return CallRecord(request_id, method.path), outbound, credentials

    async def _admit(
        self,
        method: _Method,
        context: Context,
        record: CallRecord,
        outbound: Outbound,
        credentials: Outbound,
    ) -> tuple[Principal | None, float | None]:
        """Authenticate and rate-limit, adding the principal header to `outbound`: the caller,
        and the timeout for the backend call."""
        principal: Principal | None = None
        if credentials:
            first = credentials[0]
            value = first[1]
            if len(credentials) == 1 and first[0] == AUTHORIZATION and isinstance(value, str):
                principal = self.authenticator.cached(value)
            if principal is None:
                principal = await self.authenticator.authenticate_credentials(
                    [v for k, v in credentials if k == AUTHORIZATION],
                    [v for k, v in credentials if k == API_KEY],
                )
        if principal is None:
            if self._rate_limited:
                self.rate.take(_anonymous(context.peer()))
        else:
            record.subject = principal.subject
            if self._rate_limited:
                self.rate.take(principal.subject)
            outbound.append(self.signer.header(principal, method.service.name))
        timeout = context.time_remaining()
        return principal, method.default_timeout if timeout is None else timeout

    def _pick(self, method: _Method) -> Backend:
        backend = method.pool.pick()
        if backend is None:
            raise service_unavailable(method.service.name, "no healthy backend")
        return backend

    def _check_size(self, request: bytes) -> None:
        if len(request) > self._max_receive:
            raise message_too_large("request", len(request), self._max_receive)

    def _authorize(self, method: _Method, principal: Principal | None, request: bytes) -> None:
        """The contract's policy; the request is decoded only when an owner check needs it."""
        policy = method.policy
        message: Message | None = None
        if policy.needs_request(principal):
            try:
                message = method.request_type.FromString(request)
            except DecodeError:
                raise undecodable_request(method.contract.input_type) from None
        policy.authorize(principal, message)

    def _request_check(self, method: _Method, principal: Principal | None) -> proxy.RequestCheck:
        """Each message of a client stream: the size limit, and the policy if it reads fields."""
        if method.policy.needs_request(principal):

            def check_each(request: bytes) -> None:
                self._check_size(request)
                self._authorize(method, principal, request)

            return check_each
        method.policy.authorize(principal, None)
        return self._check_size

    async def _fail(
        self,
        error: BaseException,
        method: _Method,
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
            method.pool.mark(backend, healthy=False)
            log.warning(
                "%s: backend %s unreachable: %s",
                method.service.name,
                backend.address,
                error.details(),
            )
            error = service_unavailable(method.service.name, "its backend cannot be reached")
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
    return _new_request_id()


# uuid.uuid4().hex without the UUID object: 122 random bits, version 4, RFC 4122 variant.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def _new_request_id() -> str:
    """A new request id, formatted as `uuid.uuid4().hex` is (the same bits, too)."""
    return "%032x" % (int.from_bytes(os.urandom(16)) & _UUID4_CLEAR | _UUID4_SET)


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
