"""Rich gRPC errors: a google.rpc.Status with typed details, for services and the gateway.

Clients get the code and message as usual, and the details (which field was bad, when to
retry, why access was refused) in the `grpc-status-details-bin` trailer, through grpcio-status.
"""

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import grpc
from google.protobuf import any_pb2, message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

ERROR_DOMAIN = "accord.dev"


class RpcError(Exception):
    """An error to send to the caller as a google.rpc.Status with details."""

    def __init__(self, code: grpc.StatusCode, text: str, *details: message.Message) -> None:
        super().__init__(text)
        self.code = code
        self.text = text
        self.details = details

    def to_status(self) -> grpc.Status:
        packed = []
        for detail in self.details:
            holder = any_pb2.Any()
            holder.Pack(detail)
            packed.append(holder)
        # grpc.StatusCode values are (int, name) pairs; google.rpc.Code uses the same numbers.
        proto = status_pb2.Status(code=self.code.value[0], message=self.text, details=packed)
        status: grpc.Status = rpc_status.to_status(proto)
        return status


def field_violation(field: str, description: str) -> error_details_pb2.BadRequest.FieldViolation:
    return error_details_pb2.BadRequest.FieldViolation(field=field, description=description)


def invalid_argument(
    violations: list[error_details_pb2.BadRequest.FieldViolation],
) -> RpcError:
    """INVALID_ARGUMENT naming each bad field in a BadRequest detail."""
    fields = ", ".join(v.field for v in violations)
    return RpcError(
        grpc.StatusCode.INVALID_ARGUMENT,
        f"invalid request: {fields}",
        error_details_pb2.BadRequest(field_violations=violations),
    )


def error_info(reason: str, **metadata: str) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata)


async def abort(context: grpc.aio.ServicerContext[Any, Any], error: RpcError) -> NoReturn:
    await context.abort_with_status(error.to_status())
    raise AssertionError("abort_with_status returned")  # it always raises


def details_of(error: grpc.aio.AioRpcError | grpc.RpcError) -> list[any_pb2.Any]:
    """The details a caller received (for tests and clients)."""
    status = rpc_status.from_call(error)
    return list(status.details) if status is not None else []


def reason_of(error: grpc.aio.AioRpcError | grpc.RpcError) -> str:
    """The `ErrorInfo` reason a caller received, or "" when there is none."""
    info = error_details_pb2.ErrorInfo()
    for detail in details_of(error):
        if detail.Unpack(info):
            return str(info.reason)
    return ""


__all__ = [
    "ERROR_DOMAIN",
    "RpcError",
    "abort",
    "answers_rpc_errors",
    "details_of",
    "error_info",
    "field_violation",
    "invalid_argument",
    "reason_of",
    "streams_rpc_errors",
]


Request = TypeVar("Request")
Response = TypeVar("Response")
Servicer = TypeVar("Servicer")
Context = grpc.aio.ServicerContext[Any, Any]
UnaryMethod = Callable[[Servicer, Request, Context], Awaitable[Response]]
StreamMethod = Callable[[Servicer, Request, Context], AsyncIterator[Response]]


def answers_rpc_errors(
    method: "UnaryMethod[Servicer, Request, Response]",
) -> "UnaryMethod[Servicer, Request, Response]":
    """Send an RpcError raised anywhere below a servicer method as its rich status."""

    @functools.wraps(method)
    async def wrapper(self: Servicer, request: Request, context: Context) -> Response:
        try:
            return await method(self, request, context)
        except RpcError as error:
            await abort(context, error)

    return wrapper


def streams_rpc_errors(
    method: "StreamMethod[Servicer, Request, Response]",
) -> "StreamMethod[Servicer, Request, Response]":
    """The same for a server-streaming method: the error ends the stream."""

    @functools.wraps(method)
    async def wrapper(
        self: Servicer, request: Request, context: Context
    ) -> AsyncIterator[Response]:
        try:
            async for response in method(self, request, context):
                yield response
        except RpcError as error:
            await abort(context, error)

    return wrapper
