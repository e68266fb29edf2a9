"""The one place where what goes wrong in a service becomes the status a client sees.

`ErrorMapping` is a grpc.aio server interceptor that every service's server installs
(`accord.grpc_server`). Whatever a method raises is answered honestly, and never with a
Python class name, message or traceback:

- `RpcError`: its own status and details (bounded: `RpcError.to_status`);
- a transient failure of the infrastructure (a NATS time-out, no responders, the connection
  lost or reconnecting, JetStream unavailable, a time-out of a call to another service):
  UNAVAILABLE with a RetryInfo, which clients retry;
- a bad value (a ValueError or an overflow, e.g. a total past int64) and a request that
  cannot be decoded: INVALID_ARGUMENT with a BadRequest naming the field where it is known;
- a concurrent change that won the race (a compare-and-set lost): ABORTED, also retried;
- anything else: INTERNAL with a correlation id, which the server's log names with the
  traceback (once per distinct failure: `accord.logs`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import nats.errors
import nats.js.errors
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2

from accord.events import NoResponderError, PublishFailed, PublishTimeout, RequestTimeout
from accord.logs import FailureLog
from accord.rpc_status import RpcError, error_info, field_violation, invalid_argument

_log = logging.getLogger("accord.errors")
_failures = FailureLog(_log)

RETRY_AFTER_SECONDS = 1
REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# Failures that a later attempt can get past: the infrastructure was away or slow.
TRANSIENT: tuple[type[BaseException], ...] = (
    TimeoutError,  # asyncio's and nats-py's time-outs, PublishTimeout, RequestTimeout
    nats.errors.NoRespondersError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.ConnectionDrainingError,
    nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.NoServersError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.NoStreamResponseError,
    NoResponderError,
    PublishFailed,
    PublishTimeout,
    RequestTimeout,
    ConnectionError,
)
# Codes of a call to another service that say "try again later", passed on as UNAVAILABLE.
_TRANSIENT_CODES = (
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
)


def unavailable(
    what: str = "a service this call needs is unavailable",
    reason: str = "TEMPORARILY_UNAVAILABLE",
) -> RpcError:
    """UNAVAILABLE with RetryInfo: ask again shortly (each method's retry safety is the
    contract's to say). `what` says what failed, `reason` is the ErrorInfo's."""
    return RpcError(
        grpc.StatusCode.UNAVAILABLE,
        f"{what}; retry shortly",
        error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=RETRY_AFTER_SECONDS)),
        error_info(reason),
    )


def mapped(error: BaseException, method: str, request_id: str) -> RpcError:
    """The RpcError to answer for `error`, raised while serving `method`."""
    if isinstance(error, RpcError):
        return error
    if isinstance(error, grpc.aio.AioRpcError) and error.code() in _TRANSIENT_CODES:
        return unavailable()
    if isinstance(error, TRANSIENT) or _is_server_side_api_error(error):
        # The outage itself is logged by the connection (accord.nats_health), once.
        _log.debug("%s: unavailable (%s); answered UNAVAILABLE", method, type(error).__name__)
        return unavailable()
    if isinstance(error, nats.js.errors.KeyWrongLastSequenceError):
        return RpcError(
            grpc.StatusCode.ABORTED,
            "a concurrent change won; retry",
            error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=0)),
            error_info("CONCURRENT_CHANGE"),
        )
    if isinstance(error, nats.js.errors.InvalidKeyError):  # an id no key can hold
        return invalid_argument([field_violation("request", "holds an id that is not valid")])
    if isinstance(error, _BadValue):
        return invalid_argument([field_violation(error.field, error.description)])
    if isinstance(error, ValueError | OverflowError):
        # Raised from a value of the request (a number past what a field holds, a string the
        # code could not parse): the caller's to change. Logged, for the value the
        # validation should have named.
        _failures.failed(error, "%s: a bad value got past validation", method)
        return invalid_argument(
            [field_violation("request", "holds a value out of range or malformed")]
        )
    _failures.failed(error, "%s failed (request id %s)", method, request_id)
    return RpcError(
        grpc.StatusCode.INTERNAL,
        f"internal error; request id {request_id}",
        error_details_pb2.RequestInfo(request_id=request_id),
        error_info("INTERNAL", request_id=request_id),
    )


def _is_server_side_api_error(error: BaseException) -> bool:
    # JetStream answers 5xx (and 408 for a request it timed out) when it cannot serve now:
    # no leader yet, a cluster that lost quorum, an API queue too long.
    if not isinstance(error, nats.js.errors.APIError):
        return False
    code = error.code or 0
    return code >= 500 or code == 408


class _BadValue(ValueError):
    def __init__(self, field: str, description: str) -> None:
        super().__init__(description)
        self.field = field
        self.description = description


class _Undecodable:
    """What a request that is not a valid message of its type is decoded to: the method is
    then answered INVALID_ARGUMENT instead of running (grpc answers INTERNAL itself)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def refusal(self) -> RpcError:
        return invalid_argument(
            [field_violation("request", f"is not a valid {self.type_name} message")]
        )


def _request_id(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    """The edge's request id when it sent a usable one, else a new one."""
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_HEADER and isinstance(value, str) and _SAFE_REQUEST_ID.match(value):
            return value
    return uuid.uuid4().hex


Context = grpc.aio.ServicerContext[Any, Any]


class ErrorMapping(grpc.aio.ServerInterceptor):
    """Answers every method's errors as the module docstring says."""

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        deserializer = _tolerant(handler.request_deserializer)
        serializer = handler.response_serializer
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _unary(handler.unary_unary, method), deserializer, serializer
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                _streaming(handler.unary_stream, method), deserializer, serializer
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                _unary(handler.stream_unary, method, streamed=True), deserializer, serializer
            )
        assert handler.stream_stream is not None
        return grpc.stream_stream_rpc_method_handler(
            _streaming(handler.stream_stream, method, streamed=True), deserializer, serializer
        )


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None
    type_name = getattr(getattr(deserializer, "__self__", None), "__name__", "request")

    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception:
            return _Undecodable(type_name)

    return decode


async def _checked_stream(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for request in requests:
        if isinstance(request, _Undecodable):
            raise request.refusal()
        yield request


def _prepare(request: Any, streamed: bool) -> Any:
    if streamed:
        return _checked_stream(request)
    if isinstance(request, _Undecodable):
        raise request.refusal()
    return request


def _unary(behavior: Any, method: str, streamed: bool = False) -> Any:
    async def answer(request: Any, context: Context) -> Any:
        try:
            return await behavior(_prepare(request, streamed), context)
        except (asyncio.CancelledError, grpc.aio.AbortError):
            raise
        except Exception as error:
            await context.abort_with_status(mapped(error, method, _request_id(context)).to_status())

    return answer


def _streaming(behavior: Any, method: str, streamed: bool = False) -> Any:
    if not inspect.isasyncgenfunction(behavior):
        # A streaming method written with context.write() returns instead of yielding.
        return _unary(behavior, method, streamed)

    async def answer(request: Any, context: Context) -> AsyncIterator[Any]:
        try:
            async for response in behavior(_prepare(request, streamed), context):
                yield response
        except (asyncio.CancelledError, grpc.aio.AbortError):
            raise
        except Exception as error:
            await context.abort_with_status(mapped(error, method, _request_id(context)).to_status())

    return answer


def bad_value(field: str, description: str) -> ValueError:
    """A ValueError that the mapping answers as INVALID_ARGUMENT naming `field`: for code far
    from the servicer that finds a request value it cannot use."""
    return _BadValue(field, description)
