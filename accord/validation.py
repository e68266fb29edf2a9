"""Request validation shared by every service: `check` answers a request's violations as one
INVALID_ARGUMENT naming every bad field (google.rpc.BadRequest), and ids that can be
key-value keys and subject tokens."""

import re

from google.rpc import error_details_pb2

from accord.rpc_status import field_violation, invalid_argument

# Ids become parts of key-value keys and NATS subjects: letters, digits, '-' and '_' only.
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

Violations = list[error_details_pb2.BadRequest.FieldViolation]


def id_violations(field: str, value: str) -> Violations:
    if _ID.fullmatch(value):
        return []
    return [field_violation(field, "must be 1 to 64 letters, digits, '-' or '_'")]


def check(violations: Violations) -> None:
    """Raise INVALID_ARGUMENT with a BadRequest naming each field in `violations`, if any:
    a servicer collects every problem of a request first, so the caller fixes them at once."""
    if violations:
        raise invalid_argument(violations)
