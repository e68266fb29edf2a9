"""One RPC as a generated client knows it: its path, message types and what the contract says
about calling it (safe to retry, default deadline, how its stream resumes)."""

from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf import message

Request = TypeVar("Request", bound=message.Message)
Response = TypeVar("Response", bound=message.Message)


@dataclass(frozen=True)
class Resumption:
    """A server stream resumes by naming, in `request_field`, the `response_field` value of
    the last response it saw."""

    request_field: str
    response_field: str


@dataclass(frozen=True)
class Method(Generic[Request, Response]):
    path: str  # /acme.orders.v2.OrderService/GetOrder
    request_type: type[Request]
    response_type: type[Response]
    # The contract's idempotency_level is NO_SIDE_EFFECTS or IDEMPOTENT: a retry is safe.
    idempotent: bool = False
    default_timeout: float | None = None
    resumption: Resumption | None = None
