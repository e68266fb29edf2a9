"""What every generated client stands on: connections, credentials, retries, typed errors,
deprecation notices, resumable streams and typed event subscriptions.

Copied verbatim into each generated SDK as `<package>._runtime`; it imports nothing but its
own modules and the public libraries the SDK depends on.
"""

from ._blocking import Connection
from ._connection import DEFAULT, AsyncConnection, Timeout
from ._credentials import ApiKey, BearerToken, Credentials
from ._deprecation import Lifecycle
from ._errors import (
    AbortedError,
    AlreadyExistsError,
    ApiError,
    CancelledError,
    DataLossError,
    DeadlineExceededError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    OutOfRangeError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
    UnknownError,
    error_from,
)
from ._events import Event, EventSubscriber, EventType
from ._methods import Method, Resumption
from ._retry import RetryPolicy

__all__ = [
    "DEFAULT",
    "AbortedError",
    "AlreadyExistsError",
    "ApiError",
    "ApiKey",
    "AsyncConnection",
    "BearerToken",
    "CancelledError",
    "Connection",
    "Credentials",
    "DataLossError",
    "DeadlineExceededError",
    "Event",
    "EventSubscriber",
    "EventType",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "Lifecycle",
    "Method",
    "NotFoundError",
    "OutOfRangeError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "Resumption",
    "RetryPolicy",
    "Timeout",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "UnknownError",
    "error_from",
]
