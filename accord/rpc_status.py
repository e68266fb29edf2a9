"""Rich gRPC errors: a google.rpc.Status with typed details, for services and the gateway.

Clients get the code and message as usual, and the details (which field was bad, when to
retry, why access was refused) in the `grpc-status-details-bin` trailer, through grpcio-status.
"""

from typing import Any, NoReturn

import grpc
from google.protobuf import any_pb2, message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

ERROR_DOMAIN = "accord.dev"

# What one error may carry, so that it always fits the trailers (grpc's default limit on
# received metadata is 8 KiB, and the message travels twice: as grpc-message, percent-encoded,
# and inside grpc-status-details-bin, base64-encoded).
MAX_VIOLATIONS = 10
MAX_MESSAGE_BYTES = 300
MAX_FIELD_CHARS = 128
MAX_DESCRIPTION_CHARS = 256
MAX_STATUS_BYTES = 2048


class RpcError(Exception):
    """An error to send to the caller as a google.rpc.Status with details."""

    def __init__(self, code: grpc.StatusCode, text: str, *details: message.Message) -> None:
        super().__init__(text)
        self.code = code
        self.text = text
        self.details = details

    def to_status(self) -> grpc.Status:
        """The status to send, bounded: the message cut to MAX_MESSAGE_BYTES, a BadRequest to
        its first MAX_VIOLATIONS violations (the message counts the rest), and, while the
        whole is above MAX_STATUS_BYTES, the last violations then the last details dropped."""
        details = [_bounded(detail) for detail in self.details]
        total = _violations(self.details)
        while True:
            omitted = total - _violations(details)
            counted = f" (and {omitted} more)" if omitted else ""
            text = _cut(self.text, MAX_MESSAGE_BYTES - len(counted)) + counted
            proto = _status_proto(self.code, text, details)
            if proto.ByteSize() <= MAX_STATUS_BYTES or not details:
                break
            _shrink(details)
        status: grpc.Status = rpc_status.to_status(proto)
        return status


def _status_proto(
    code: grpc.StatusCode, text: str, details: list[message.Message]
) -> status_pb2.Status:
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    # grpc.StatusCode values are (int, name) pairs; google.rpc.Code uses the same numbers.
    return status_pb2.Status(code=code.value[0], message=text, details=packed)


def _shrink(details: list[message.Message]) -> None:
    """One step smaller: the last violation of a BadRequest that has several, else the last
    detail."""
    for detail in details:
        if isinstance(detail, error_details_pb2.BadRequest) and len(detail.field_violations) > 1:
            del detail.field_violations[-1]
            return
    details.pop()


def _cut(text: str, limit: int) -> str:
    """`text` in at most `limit` UTF-8 bytes, cut at a character boundary, marked when cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "..."


def _bounded(detail: message.Message) -> message.Message:
    if not isinstance(detail, error_details_pb2.BadRequest):
        return detail
    bounded: message.Message
    bounded = error_details_pb2.BadRequest(
        field_violations=[
            field_violation(
                _cut(v.field, MAX_FIELD_CHARS), _cut(v.description, MAX_DESCRIPTION_CHARS)
            )
            for v in detail.field_violations[:MAX_VIOLATIONS]
        ]
    )
    return bounded


def _violations(details: "list[message.Message] | tuple[message.Message, ...]") -> int:
    return sum(
        len(detail.field_violations)
        for detail in details
        if isinstance(detail, error_details_pb2.BadRequest)
    )


def field_violation(field: str, description: str) -> error_details_pb2.BadRequest.FieldViolation:
    return error_details_pb2.BadRequest.FieldViolation(field=field, description=description)


def invalid_argument(
    violations: list[error_details_pb2.BadRequest.FieldViolation],
) -> RpcError:
    """INVALID_ARGUMENT naming each bad field in a BadRequest detail (the status keeps the
    first MAX_VIOLATIONS, in the message too, and counts the rest)."""
    fields = ", ".join(_cut(v.field, MAX_FIELD_CHARS) for v in violations[:MAX_VIOLATIONS])
    return RpcError(
        grpc.StatusCode.INVALID_ARGUMENT,
        f"invalid request: {fields}",
        error_details_pb2.BadRequest(field_violations=violations),
    )


def error_info(reason: str, **metadata: str) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata)


def request_reused(request_id: str, other_use: str) -> RpcError:
    """ALREADY_EXISTS for an idempotency key (a request's `request_id`) sent again with
    other content; `other_use` says what it was used for first ("with another quote")."""
    return RpcError(
        grpc.StatusCode.ALREADY_EXISTS,
        f"request_id {request_id} was already used {other_use}",
        error_info("REQUEST_ID_REUSED", request_id=request_id),
    )


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
    "details_of",
    "error_info",
    "field_violation",
    "invalid_argument",
    "reason_of",
]
