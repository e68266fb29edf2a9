"""Request rules, as the contract states them; each broken rule names its field."""

import re

from acme.support.v1 import support_pb2 as pb

from accord.paging import page_size_violations
from accord.rpc_status import field_violation
from accord.validation import Violations, id_violations

_KEY = re.compile(r"^[A-Za-z0-9.:_-]{1,200}$")
_APPLICATION = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_FINGERPRINT = re.compile(r"^[A-Za-z0-9]{1,64}$")


def _text(field: str, value: str, least: int, most: int) -> Violations:
    if least <= len(value) <= most:
        return []
    return [field_violation(field, f"must be {least} to {most} characters")]


def _match(field: str, pattern: re.Pattern[str], value: str, rule: str) -> Violations:
    return [] if pattern.fullmatch(value) else [field_violation(field, rule)]


def open_violations(request: pb.OpenTicketRequest) -> Violations:
    keyish = "must be 1 to 200 letters, digits, '.', ':', '-' or '_'"
    violations = (
        _match("ticket_key", _KEY, request.ticket_key, keyish)
        + id_violations("customer_id", request.customer_id)
        + _text("title", request.title, 1, 200)
        + _text("description", request.description, 0, 4_000)
        + _match(
            "application",
            _APPLICATION,
            request.application,
            "must be 1 to 64 letters, digits, '.', '-' or '_'",
        )
        + _match(
            "error_code",
            _ERROR_CODE,
            request.error_code,
            "must be 1 to 64 upper-case letters, digits or '_', starting with a letter",
        )
        + _match(
            "fingerprint", _FINGERPRINT, request.fingerprint, "must be 1 to 64 letters or digits"
        )
        + _text("suggested_fix", request.suggested_fix, 0, 2_000)
        + _match("occurrence_id", _KEY, request.occurrence_id, keyish)
    )
    if not request.HasField("occur_time"):
        violations.append(field_violation("occur_time", "is required"))
    return violations


def list_violations(request: pb.ListTicketsRequest) -> Violations:
    violations = []
    if request.customer_id:
        violations += id_violations("customer_id", request.customer_id)
    if request.assignee:
        violations += id_violations("assignee", request.assignee)
    if request.status not in pb.TicketStatus.values():
        violations.append(field_violation("status", "must be a TicketStatus"))
    return violations + page_size_violations(request.page_size)


def assign_violations(request: pb.AssignTicketRequest) -> Violations:
    return id_violations("ticket_id", request.ticket_id) + id_violations(
        "assignee", request.assignee
    )


def resolve_violations(request: pb.ResolveTicketRequest) -> Violations:
    return id_violations("ticket_id", request.ticket_id) + _text(
        "resolution", request.resolution, 1, 2_000
    )
