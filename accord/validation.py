"""Request rules shared by every service: ids that can be key-value keys and subject tokens."""

import re

from google.rpc import error_details_pb2

from accord.rpc_status import field_violation

# Ids become parts of key-value keys and NATS subjects: letters, digits, '-' and '_' only.
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

Violations = list[error_details_pb2.BadRequest.FieldViolation]


def id_violations(field: str, value: str) -> Violations:
    if _ID.fullmatch(value):
        return []
    return [field_violation(field, "must be 1 to 64 letters, digits, '-' or '_'")]
