"""Every service enforces its own contract: one grpc.aio server interceptor, driven by the contract.

The edge checks each call, and so does the service, whatever way the call came: a second line
that holds when the edge is misconfigured or a caller reaches a service port directly. For
every method of the services a process serves, from the same descriptors and options the edge
is compiled from (`accord.descriptors`), on every call:

1. who calls: a bearer JWT (the end user's token, which the edge passes on), verified here
   against the same JWKS, issuer, audience, algorithms, `typ` and lifetime rules (verified
   tokens are cached), or the edge's Ed25519-signed principal header (`accord.identity`, for
   API-key callers: the edge holds the key hashes, the service only the edge's public key).
   Never a plain header a local process could forge. Both at once is refused.
2. the method's policy (`accord.auth.MethodPolicy`): no policy → denied; public → anyone;
   else every required scope, and the owner field naming the caller unless the caller holds
   the admin scope, checked on the request, and on every message of a client stream;
3. a cap on each principal's concurrent server streams in this process, so that one caller
   cannot hold every stream slot (one customer once opened 560 `Subscribe` streams);
4. the size of every request message, client streams message by message: one over the limit
   is never parsed and never reaches the servicer (`accord.message_size`).
The verified caller is then what `accord.access.current_caller()` returns inside the servicer,
so servicers check only what the contract cannot say (a record fetched by id: `may_see`).

Refusals are google.rpc.Status with an ErrorInfo, the same reasons the edge gives.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeAlias

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.message import Message
from google.rpc import error_details_pb2

from accord.auth import Authenticator, AuthSettings, MethodPolicy
from accord.auth._authenticator import AUTHORIZATION
from accord.auth._errors import AMBIGUOUS_CREDENTIALS, unauthenticated
from accord.descriptors import MethodContract, service_contract, services_in
from accord.identity import PRINCIPAL_HEADER, Principal, PrincipalVerifier
from accord.message_size import DEFAULT_MAX_REQUEST_BYTES, Oversized, limited, message_too_large
from accord.rpc_status import RpcError, error_info
from accord.settings import ConfigurationError

log = logging.getLogger(__name__)

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
Context = grpc.aio.ServicerContext[Any, Any]

# The caller of the call being served, set by the interceptor for the servicer's task.
CALLER: ContextVar[Principal | None] = ContextVar("accord_caller", default=None)

DEFAULT_MAX_STREAMS_PER_PRINCIPAL = 32


class Caller:
    """Who calls: a verified bearer JWT, the edge's signed principal header, or nobody."""

    def __init__(
        self, tokens: Authenticator | None, principals: Callable[[str], PrincipalVerifier]
    ) -> None:
        self._tokens = tokens
        self._verifiers: dict[str, PrincipalVerifier] = {}
        self._principals = principals

    async def of(
        self, metadata: Sequence[tuple[str, str | bytes]], service: str
    ) -> Principal | None:
        bearer = [value for key, value in metadata if key == AUTHORIZATION]
        signed = [value for key, value in metadata if key == PRINCIPAL_HEADER]
        if bearer and signed:
            raise unauthenticated(
                AMBIGUOUS_CREDENTIALS, "send one credential: a bearer token or an API key"
            )
        if signed:
            verifier = self._verifiers.get(service)
            if verifier is None:
                verifier = self._verifiers[service] = self._principals(service)
            return verifier.verify(metadata)
        if not bearer:
            return None
        if self._tokens is None:
            raise RpcError(
                grpc.StatusCode.UNAVAILABLE,
                "this service cannot check tokens: it has no JWKS",
                error_info("KEYS_UNAVAILABLE"),
            )
        if len(bearer) == 1 and isinstance(bearer[0], str):
            cached = self._tokens.cached(bearer[0])
            if cached is not None:
                return cached
        return await self._tokens.authenticate_credentials(bearer, [])


class _Method:
    """What every call of one method shares: its contract, policy and stream cap."""

    __slots__ = ("contract", "policy", "service")

    def __init__(self, contract: MethodContract) -> None:
        self.contract = contract
        self.policy = MethodPolicy(contract)
        self.service = contract.service


class ContractEnforcement(grpc.aio.ServerInterceptor):
    """The interceptor; see the module docstring. Methods not in `methods` pass untouched
    (health, reflection)."""

    def __init__(
        self,
        methods: Iterable[MethodContract],
        caller: Caller,
        max_streams_per_principal: int = DEFAULT_MAX_STREAMS_PER_PRINCIPAL,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    ) -> None:
        self._methods = {method.path: _Method(method) for method in methods}
        self._caller = caller
        self._max_streams = max_streams_per_principal
        self._max_request_bytes = max_request_bytes
        self._streams: Counter[str] = Counter()
        self._wrapped: dict[str, tuple[Handler, Handler]] = {}

    @classmethod
    def for_services(
        cls,
        services: Iterable[str],
        auth: AuthSettings,
        public_key_file: Any,
        pool: descriptor_pool.DescriptorPool | None = None,
        max_streams_per_principal: int = DEFAULT_MAX_STREAMS_PER_PRINCIPAL,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    ) -> ContractEnforcement:
        """For the services (full names) a process serves, read from `pool` (default: the
        generated modules' pool, whose descriptors carry the contracts' options)."""
        methods = [
            method
            for name in services
            for method in service_contract(name, pool or descriptor_pool.Default()).methods
        ]
        try:
            tokens: Authenticator | None = Authenticator.from_settings(auth)
        except (FileNotFoundError, ConfigurationError) as missing:
            # Production creates no key: without a JWKS, tokens are refused (fail closed),
            # and API-key callers (the edge's signed principal) are still served.
            log.warning("bearer tokens will be refused: %s", missing)
            tokens = None
        caller = Caller(
            tokens, lambda service: PrincipalVerifier(service, key_file=public_key_file)
        )
        return cls(methods, caller, max_streams_per_principal, max_request_bytes)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(details)
        method = self._methods.get(details.method)
        if handler is None or method is None:
            return handler
        # The servicer's handler is the same object call after call: wrap it once.
        cached = self._wrapped.get(details.method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = self._wrap(method, handler)
        self._wrapped[details.method] = (handler, wrapped)
        return wrapped

    def _wrap(self, method: _Method, handler: Handler) -> Handler:
        shape = (handler.request_streaming, handler.response_streaming)
        wrap = {
            (False, False): (
                self._unary_unary,
                grpc.unary_unary_rpc_method_handler,
                handler.unary_unary,
            ),
            (False, True): (
                self._unary_stream,
                grpc.unary_stream_rpc_method_handler,
                handler.unary_stream,
            ),
            (True, False): (
                self._stream_unary,
                grpc.stream_unary_rpc_method_handler,
                handler.stream_unary,
            ),
            (True, True): (
                self._stream_stream,
                grpc.stream_stream_rpc_method_handler,
                handler.stream_stream,
            ),
        }[shape]
        enforce, make, behaviour = wrap
        return make(
            _bind(enforce, method, behaviour, shape),
            # Bytes over the limit are never parsed: the shapes below refuse them.
            request_deserializer=limited(handler.request_deserializer, self._max_request_bytes),
            response_serializer=handler.response_serializer,
        )

    # The four shapes.

    async def _unary_unary(
        self, method: _Method, behaviour: Any, request: Message, context: Context
    ) -> Any:
        try:
            principal = await self._admit(method, context)
            self._check_size(request)
            method.policy.authorize(principal, request)
        except RpcError as error:
            await _abort(context, error)
        token = CALLER.set(principal)
        try:
            return await behaviour(request, context)
        finally:
            CALLER.reset(token)

    async def _unary_stream(
        self, method: _Method, behaviour: Any, request: Message, context: Context
    ) -> AsyncIterator[Any]:
        try:
            principal = await self._admit(method, context)
            self._check_size(request)
            method.policy.authorize(principal, request)
            slot = self._stream_slot(principal)
        except RpcError as error:
            await _abort(context, error)
        token = CALLER.set(principal)
        try:
            async for response in behaviour(request, context):
                yield response
        finally:
            CALLER.reset(token)
            self._release(slot)

    async def _stream_unary(
        self, method: _Method, behaviour: Any, requests: AsyncIterator[Message], context: Context
    ) -> Any:
        try:
            principal = await self._admit(method, context)
            checked = _Checked(requests, method.policy, principal, self._max_request_bytes)
        except RpcError as error:
            await _abort(context, error)
        token = CALLER.set(principal)
        try:
            async with checked.final(context):
                return await behaviour(checked.iterate(), context)
        finally:
            CALLER.reset(token)

    async def _stream_stream(
        self, method: _Method, behaviour: Any, requests: AsyncIterator[Message], context: Context
    ) -> AsyncIterator[Any]:
        try:
            principal = await self._admit(method, context)
            checked = _Checked(requests, method.policy, principal, self._max_request_bytes)
            slot = self._stream_slot(principal)
        except RpcError as error:
            await _abort(context, error)
        token = CALLER.set(principal)
        try:
            async with checked.final(context):
                async for response in behaviour(checked.iterate(), context):
                    # Refused: no response goes out after it, whatever the servicer does.
                    await checked.abort_if_refused(context)
                    yield response
        finally:
            CALLER.reset(token)
            self._release(slot)

    # Shared steps.

    def _check_size(self, request: Any) -> None:
        if isinstance(request, Oversized):
            raise message_too_large(self._max_request_bytes, request.size)

    async def _admit(self, method: _Method, context: Context) -> Principal | None:
        """The verified caller, refused at once when the policy needs nothing of the request
        to refuse it (a client stream's messages are checked as they come, `_Checked`)."""
        metadata = tuple(context.invocation_metadata() or ())
        principal = await self._caller.of(metadata, method.service)
        if method.contract.client_streaming:
            method.policy.authorize_caller(principal)
        return principal

    def _stream_slot(self, principal: Principal | None) -> str:
        """Take one of the principal's stream slots for a server stream; `_release` gives it
        back. RESOURCE_EXHAUSTED when the principal holds them all."""
        key = principal.subject if principal is not None else ""
        if self._streams[key] >= self._max_streams:
            violation = error_details_pb2.QuotaFailure.Violation(
                subject=key or "anonymous",
                description=f"more than {self._max_streams} concurrent streams",
            )
            raise RpcError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"at most {self._max_streams} concurrent streams per caller; close one first",
                error_details_pb2.QuotaFailure(violations=[violation]),
                error_info("TOO_MANY_STREAMS", limit=str(self._max_streams)),
            )
        self._streams[key] += 1
        return key

    def _release(self, key: str) -> None:
        self._streams[key] -= 1
        if self._streams[key] <= 0:
            del self._streams[key]


class _Checked:
    """A client stream handed to the servicer message by message, each checked for its size and
    by the policy; the first refusal ends the stream (the servicer sees it raised) and the call
    (`final`), whatever the servicer does with it."""

    __slots__ = ("failure", "limit", "policy", "principal", "requests")

    def __init__(
        self,
        requests: AsyncIterator[Message],
        policy: MethodPolicy,
        principal: Principal | None,
        limit: int,
    ):
        self.requests = requests
        self.policy = policy
        self.principal = principal
        self.limit = limit
        self.failure: RpcError | None = None

    async def iterate(self) -> AsyncIterator[Message]:
        async for request in self.requests:
            try:
                if isinstance(request, Oversized):
                    raise message_too_large(self.limit, request.size)
                self.policy.authorize(self.principal, request)
            except RpcError as failure:
                self.failure = failure
                raise
            yield request

    @asynccontextmanager
    async def final(self, context: Context) -> AsyncIterator[None]:
        """Around the servicer's handling of the stream: once it is over, whether the servicer
        raised or answered (it may have caught the refusal and answered OK), a refused message
        ends the call with its refusal."""
        try:
            yield
        except Exception:
            await self.abort_if_refused(context)
            raise
        await self.abort_if_refused(context)

    async def abort_if_refused(self, context: Context) -> None:
        if self.failure is not None:
            await _abort(context, self.failure)


def _bind(enforce: Any, method: _Method, behaviour: Any, shape: tuple[bool, bool]) -> Any:
    """`enforce` with its method and the servicer's behaviour bound, of the function kind grpc
    reads the shape from (a coroutine function, or an async generator function)."""
    if shape[1]:

        async def streaming(request: Any, context: Context) -> AsyncIterator[Any]:
            async for response in enforce(method, behaviour, request, context):
                yield response

        return streaming

    async def single(request: Any, context: Context) -> Any:
        return await enforce(method, behaviour, request, context)

    return single


async def _abort(context: Context, error: RpcError) -> Any:
    await context.abort_with_status(error.to_status())
    raise AssertionError("abort_with_status returned")  # it always raises


def current_caller() -> Principal | None:
    """The caller the interceptor verified for the call being served (None: anonymous)."""
    return CALLER.get()


def method_contracts_of_image(
    image: descriptor_pb2.FileDescriptorSet, services: Iterable[str]
) -> list[MethodContract]:
    """The methods of `services` in a compiled image (tests' contracts that have no modules)."""
    wanted = set(services)
    return [m for s in services_in(image) if s.full_name in wanted for m in s.methods]
