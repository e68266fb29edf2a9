"""The edge's own refusals as gRPC statuses with google.rpc.Status details, computed ahead.

Envoy answers a refused gRPC call with a trailers-only response whose `grpc-status` follows
the HTTP status of its local reply. The details it cannot make, so they are made here, once,
when the configuration is compiled: each refusal the contracts and settings can produce is a
`Refusal` (code, message, details), rendered as the three headers of a trailers-only answer.
`gateway/envoy_config/` puts them where Envoy sends them: direct responses for paths that are
not served, local-reply mappers keyed on why a filter refused, rate-limit response headers.
"""

import base64
import urllib.parse
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import any_pb2, duration_pb2, json_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from accord.rpc_status import RpcError, error_info

# HTTP status of a local reply → the gRPC code Envoy derives from it (grpc's own mapping).
HTTP_FOR_CODE = {
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNIMPLEMENTED: 404,
    grpc.StatusCode.UNAVAILABLE: 503,
}


@dataclass(frozen=True)
class Refusal:
    """One refusal: what the client reads as code, message and details."""

    error: RpcError

    @property
    def code(self) -> grpc.StatusCode:
        return self.error.code

    @property
    def message(self) -> str:
        return self.error.text

    @property
    def http_status(self) -> int:
        return HTTP_FOR_CODE.get(self.code, 200)

    def details_bin(self) -> str:
        """`grpc-status-details-bin`: the google.rpc.Status, base64 without padding, serialized
        deterministically (map fields in key order) so the configuration is reproducible."""
        packed = []
        for detail in self.error.details:
            holder = any_pb2.Any()
            holder.Pack(detail, deterministic=True)
            packed.append(holder)
        status = status_pb2.Status(code=self.code.value[0], message=self.message, details=packed)
        data = status.SerializeToString(deterministic=True)
        return base64.b64encode(data).decode().rstrip("=")

    def json(self) -> dict[str, Any]:
        """The google.rpc.Status as JSON (its details typed by `@type`): the body an HTTP/JSON
        client gets, as the transcoder gives a service's own errors."""
        status = status_pb2.Status.FromString(
            base64.b64decode(self.details_bin() + "=" * (-len(self.details_bin()) % 4))
        )
        body: dict[str, Any] = json_format.MessageToDict(status)
        return body

    def grpc_headers(self) -> list[tuple[str, str]]:
        """The headers of a trailers-only gRPC answer carrying this refusal."""
        return [
            ("content-type", "application/grpc"),
            ("grpc-status", str(self.code.value[0])),
            ("grpc-message", percent_encoded(self.message)),
            ("grpc-status-details-bin", self.details_bin()),
        ]


def refusal(code: grpc.StatusCode, message: str, *details: Message) -> Refusal:
    return Refusal(RpcError(code, message, *details))


def percent_encoded(message: str) -> str:
    """grpc-message's encoding: percent-encoded UTF-8 outside printable ASCII (and `%`)."""
    return urllib.parse.quote(message, safe=" !\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~")


def retry_info(seconds: float) -> error_details_pb2.RetryInfo:
    delay = duration_pb2.Duration()
    delay.FromNanoseconds(max(0, round(seconds * 1e9)))
    return error_details_pb2.RetryInfo(retry_delay=delay)


def unauthenticated(reason: str, message: str, **metadata: str) -> Refusal:
    return refusal(grpc.StatusCode.UNAUTHENTICATED, message, error_info(reason, **metadata))


def permission_denied(reason: str, message: str, **metadata: str) -> Refusal:
    return refusal(grpc.StatusCode.PERMISSION_DENIED, message, error_info(reason, **metadata))


def rate_limited(subject: str, rate: float, burst: int) -> Refusal:
    """RESOURCE_EXHAUSTED with QuotaFailure (whose bucket), RetryInfo (one token's wait)."""
    violation = error_details_pb2.QuotaFailure.Violation(
        subject=subject, description=f"more than {rate:g} calls per second (burst {burst})"
    )
    return refusal(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"rate limit exceeded for this {subject}; retry in {1 / rate:.3f} s",
        error_details_pb2.QuotaFailure(violations=[violation]),
        retry_info(1 / rate),
        error_info("RATE_LIMITED", subject=subject),
    )


def overloaded(service: str, limit: int, retry_after_s: float) -> Refusal:
    return refusal(
        grpc.StatusCode.UNAVAILABLE,
        f"{service} is at its limit of {limit} calls in flight; retry later",
        error_info("OVERLOADED", service=service, max_concurrent_calls=str(limit)),
        retry_info(retry_after_s),
    )


def service_unavailable(service: str) -> Refusal:
    """No healthy backend, or it could not be reached; never names an address."""
    return refusal(
        grpc.StatusCode.UNAVAILABLE,
        f"{service} is unavailable: no healthy backend can be reached",
        error_info("BACKEND_UNAVAILABLE", service=service),
    )


# Why jwt_authn refused a token (its status message, as a regular expression) → the reason
# the old gateway gave for the same token. Checked in this order; the last one catches all.
# The expressions must match the whole message (Envoy's safe_regex).
JWT_FAILURES: tuple[tuple[str, str, str], ...] = (
    ("Jwt is expired", "TOKEN_EXPIRED", "the token has expired"),
    (".*not yet valid.*", "TOKEN_NOT_YET_VALID", "the token is not valid yet"),
    ("(?i).*issuer.*", "BAD_ISSUER", "the token comes from an issuer this gateway does not trust"),
    ("(?i).*audience.*", "BAD_AUDIENCE", "the token is meant for another audience"),
    # Envoy gives a lifetime beyond max_lifetime the same status as a bad signature.
    (
        ".*verification fail.*",
        "BAD_SIGNATURE",
        "the token does not verify: its signature, or a lifetime beyond the allowed maximum",
    ),
    (
        r"(?i).*(\[alg\]|algorithm).*",
        "ALGORITHM_NOT_ALLOWED",
        "the token's algorithm is not accepted",
    ),
    (".*kid or alg.*", "UNKNOWN_KEY_ID", "the token names no usable signing key"),
    (
        "(?i).*(jwks.*fetch|fetch.*jwks).*",
        "KEYS_UNAVAILABLE",
        "the gateway cannot check tokens now",
    ),
    ("(?i).*expiration.*", "MISSING_CLAIM", "the token has no `exp` claim"),
    ("Jwt is missing", "", ""),  # not a refusal: a call without a token may pass (see config)
    (".*", "MALFORMED_TOKEN", "the bearer token is not a valid JWT"),
)
