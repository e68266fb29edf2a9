"""Request rules, as the contract states them; each broken rule names its field."""

import re

from acme.devices.v1 import devices_pb2 as pb

from accord.paging import page_size_violations
from accord.rpc_status import field_violation
from accord.validation import Violations, id_violations

MAX_DISPLAY_NAME = 100
MAX_CLAIM_CODE = 64
# `sg-<deviceId>-<tenths>-<HHMM>`: a device id of up to 64 characters and 12 more.
_SUGGESTION_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def register_violations(request: pb.RegisterDeviceRequest) -> Violations:
    violations = id_violations("owner_id", request.owner_id) + id_violations(
        "device_id", request.device_id
    )
    if len(request.display_name) > MAX_DISPLAY_NAME:
        violations.append(
            field_violation("display_name", f"must be at most {MAX_DISPLAY_NAME} characters")
        )
    if not request.claim_code.strip():
        violations.append(field_violation("claim_code", "is required: the code on the device"))
    elif len(request.claim_code) > MAX_CLAIM_CODE:
        violations.append(
            field_violation("claim_code", f"must be at most {MAX_CLAIM_CODE} characters")
        )
    return violations


def page_violations(owner_id: str, page_size: int) -> Violations:
    return id_violations("owner_id", owner_id) + page_size_violations(page_size)


def suggestion_id_violations(suggestion_id: str) -> Violations:
    if _SUGGESTION_ID.fullmatch(suggestion_id):
        return []
    return [field_violation("suggestion_id", "must be 1 to 128 letters, digits, '-' or '_'")]
