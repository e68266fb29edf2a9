"""The errors the gateway raises itself, in the platform's one error model.

Each is an `accord.rpc_status.RpcError`: a google.rpc.Status with typed details, sent in the
`grpc-status-details-bin` trailer. Auth refusals (`AuthFailure`) are RpcErrors too. Backend
errors never come through here; the proxy hands them back as the backend sent them.
"""

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2

from accord.rpc_status import RpcError, error_info


def retry_info(seconds: float) -> error_details_pb2.RetryInfo:
    delay = duration_pb2.Duration()
    delay.FromNanoseconds(max(0, round(seconds * 1e9)))
    return error_details_pb2.RetryInfo(retry_delay=delay)


def service_unavailable(service: str, why: str) -> RpcError:
    """A backend that cannot be reached; the message names the service, never an address."""
    return RpcError(
        grpc.StatusCode.UNAVAILABLE,
        f"{service} is unavailable: {why}",
        error_info("BACKEND_UNAVAILABLE", service=service),
    )


def message_too_large(direction: str, size: int, limit: int) -> RpcError:
    return RpcError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"{direction} message of {size} bytes exceeds the gateway's limit of {limit} bytes",
        error_info("MESSAGE_TOO_LARGE", direction=direction, size=str(size), limit=str(limit)),
    )


def undecodable_request(type_name: str) -> RpcError:
    violation = error_details_pb2.BadRequest.FieldViolation(
        field="request", description=f"not a valid {type_name} message"
    )
    return RpcError(
        grpc.StatusCode.INVALID_ARGUMENT,
        f"the request is not a valid {type_name} message",
        error_details_pb2.BadRequest(field_violations=[violation]),
    )


def internal(request_id: str) -> RpcError:
    """An unexpected failure inside the gateway: no stack trace, a request id to look it up."""
    return RpcError(
        grpc.StatusCode.INTERNAL,
        f"internal gateway error; request id {request_id}",
        error_info("INTERNAL", request_id=request_id),
    )
