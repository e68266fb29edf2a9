"""Errors as typed exceptions, one class per gRPC status code, carrying the decoded
`google.rpc.Status` details: the ErrorInfo reason and metadata, RetryInfo, QuotaFailure and
BadRequest field violations, with every other detail kept as it came.
"""

from collections.abc import Sequence

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

_KNOWN_DETAILS: tuple[type[Message], ...] = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.RetryInfo,
    error_details_pb2.QuotaFailure,
    error_details_pb2.BadRequest,
    error_details_pb2.PreconditionFailure,
    error_details_pb2.ResourceInfo,
    error_details_pb2.Help,
    error_details_pb2.LocalizedMessage,
    error_details_pb2.DebugInfo,
    error_details_pb2.RequestInfo,
)


class ApiError(Exception):
    """A call that ended in an error status. Subclasses name the code; catch this for all."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        message: str,
        details: Sequence[Message] = (),
        *,
        code: grpc.StatusCode | None = None,
        trailers: Sequence[tuple[str, str | bytes]] = (),
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        # Each detail decoded into its own type when it is a google.rpc one, else the Any.
        self.details: tuple[Message, ...] = tuple(details)
        self.trailers = tuple(trailers)

    def __str__(self) -> str:
        reason = f" [{self.reason}]" if self.reason else ""
        return f"{self.code.name}{reason}: {self.message}"

    def detail(self, kind: type[Message]) -> Message | None:
        """The first detail of type `kind`, or None."""
        return next((d for d in self.details if isinstance(d, kind)), None)

    @property
    def error_info(self) -> error_details_pb2.ErrorInfo | None:
        found = self.detail(error_details_pb2.ErrorInfo)
        return found if isinstance(found, error_details_pb2.ErrorInfo) else None

    @property
    def reason(self) -> str:
        """The machine-readable reason (ErrorInfo.reason), or "" when the server gave none."""
        info = self.error_info
        return info.reason if info is not None else ""

    @property
    def metadata(self) -> dict[str, str]:
        """ErrorInfo.metadata: the facts a program may act on (a field, a limit, a successor)."""
        info = self.error_info
        return dict(info.metadata) if info is not None else {}

    @property
    def retry_delay(self) -> float | None:
        """How long the server asks the caller to wait before trying again (RetryInfo)."""
        found = self.detail(error_details_pb2.RetryInfo)
        if not isinstance(found, error_details_pb2.RetryInfo) or not found.HasField("retry_delay"):
            return None
        seconds: float = found.retry_delay.ToTimedelta().total_seconds()
        return seconds

    @property
    def quota_failure(self) -> error_details_pb2.QuotaFailure | None:
        found = self.detail(error_details_pb2.QuotaFailure)
        return found if isinstance(found, error_details_pb2.QuotaFailure) else None

    @property
    def field_violations(self) -> list[error_details_pb2.BadRequest.FieldViolation]:
        """BadRequest's violations: which request field was wrong and why."""
        found = self.detail(error_details_pb2.BadRequest)
        if not isinstance(found, error_details_pb2.BadRequest):
            return []
        return list(found.field_violations)


class CancelledError(ApiError):
    code = grpc.StatusCode.CANCELLED


class UnknownError(ApiError):
    code = grpc.StatusCode.UNKNOWN


class InvalidArgumentError(ApiError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceededError(ApiError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFoundError(ApiError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExistsError(ApiError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDeniedError(ApiError):
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhaustedError(ApiError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPreconditionError(ApiError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class AbortedError(ApiError):
    code = grpc.StatusCode.ABORTED


class OutOfRangeError(ApiError):
    code = grpc.StatusCode.OUT_OF_RANGE


class UnimplementedError(ApiError):
    code = grpc.StatusCode.UNIMPLEMENTED


class InternalError(ApiError):
    code = grpc.StatusCode.INTERNAL


class UnavailableError(ApiError):
    code = grpc.StatusCode.UNAVAILABLE


class DataLossError(ApiError):
    code = grpc.StatusCode.DATA_LOSS


class UnauthenticatedError(ApiError):
    code = grpc.StatusCode.UNAUTHENTICATED


_BY_CODE: dict[grpc.StatusCode, type[ApiError]] = {
    cls.code: cls
    for cls in (
        CancelledError,
        UnknownError,
        InvalidArgumentError,
        DeadlineExceededError,
        NotFoundError,
        AlreadyExistsError,
        PermissionDeniedError,
        ResourceExhaustedError,
        FailedPreconditionError,
        AbortedError,
        OutOfRangeError,
        UnimplementedError,
        InternalError,
        UnavailableError,
        DataLossError,
        UnauthenticatedError,
    )
}


def error_from(error: grpc.RpcError) -> ApiError:
    """The typed error for a failed call (grpc.aio's AioRpcError or a sync call's error)."""
    code = _code_of(error)
    text = _details_of(error)
    trailers = tuple(_trailers_of(error))
    details: list[Message] = []
    try:
        status: status_pb2.Status | None = rpc_status.from_call(error)
    except ValueError:  # a details trailer that disagrees with the status: keep the status
        status = None
    if status is not None:
        details = [_decoded(any_detail) for any_detail in status.details]
    cls = _BY_CODE.get(code, ApiError)
    return cls(text, details, code=code, trailers=trailers)


def _decoded(holder: any_pb2.Any) -> Message:
    for kind in _KNOWN_DETAILS:
        if holder.TypeName() == kind.DESCRIPTOR.full_name:
            decoded = kind()
            holder.Unpack(decoded)
            return decoded
    return holder


def _code_of(error: grpc.RpcError) -> grpc.StatusCode:
    code = getattr(error, "code", None)
    found = code() if callable(code) else None
    return found if isinstance(found, grpc.StatusCode) else grpc.StatusCode.UNKNOWN


def _details_of(error: grpc.RpcError) -> str:
    details = getattr(error, "details", None)
    text = details() if callable(details) else None
    return text if isinstance(text, str) else ""


def _trailers_of(error: grpc.RpcError) -> list[tuple[str, str | bytes]]:
    trailing = getattr(error, "trailing_metadata", None)
    found = trailing() if callable(trailing) else None
    return [(str(k), v) for k, v in (found or ())]
