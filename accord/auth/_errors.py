"""AuthFailure: why a call is refused, as a google.rpc.Status with an ErrorInfo the client sees.

Messages are written for the caller: they say what is wrong with the credentials or what is
missing, never how the gateway works inside, and never carry a stack trace.
"""

from collections.abc import Mapping

import grpc

from accord.rpc_status import RpcError, error_info


class AuthFailure(RpcError):
    """A refused call. Being an RpcError, the proxy sends it with `accord.rpc_status.abort`."""

    def __init__(
        self,
        code: grpc.StatusCode,
        reason: str,
        message: str,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        self.reason = reason
        self.message = message
        self.metadata = dict(metadata or {})
        super().__init__(code, message, error_info(reason, **self.metadata))

    def __repr__(self) -> str:
        return f"AuthFailure({self.code.name}, {self.reason!r}, {self.message!r})"


def unauthenticated(reason: str, message: str, **metadata: str) -> AuthFailure:
    return AuthFailure(grpc.StatusCode.UNAUTHENTICATED, reason, message, metadata)


def permission_denied(reason: str, message: str, **metadata: str) -> AuthFailure:
    return AuthFailure(grpc.StatusCode.PERMISSION_DENIED, reason, message, metadata)


# Reasons, as sent in ErrorInfo.reason (domain accord.dev).
TOKEN_EXPIRED = "TOKEN_EXPIRED"
TOKEN_NOT_YET_VALID = "TOKEN_NOT_YET_VALID"
TOKEN_LIFETIME_TOO_LONG = "TOKEN_LIFETIME_TOO_LONG"
BAD_TOKEN_TYPE = "BAD_TOKEN_TYPE"
BAD_SIGNATURE = "BAD_SIGNATURE"
BAD_ISSUER = "BAD_ISSUER"
BAD_AUDIENCE = "BAD_AUDIENCE"
ALGORITHM_NOT_ALLOWED = "ALGORITHM_NOT_ALLOWED"
MALFORMED_TOKEN = "MALFORMED_TOKEN"
MISSING_CLAIM = "MISSING_CLAIM"
UNKNOWN_KEY_ID = "UNKNOWN_KEY_ID"
KEYS_UNAVAILABLE = "KEYS_UNAVAILABLE"
UNKNOWN_API_KEY = "UNKNOWN_API_KEY"
AMBIGUOUS_CREDENTIALS = "AMBIGUOUS_CREDENTIALS"
CREDENTIALS_REQUIRED = "CREDENTIALS_REQUIRED"
POLICY_MISSING = "POLICY_MISSING"
MISSING_SCOPE = "MISSING_SCOPE"
NOT_OWNER = "NOT_OWNER"
