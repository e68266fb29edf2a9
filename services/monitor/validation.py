"""ReportError's rules, as the contract states them; each broken rule names its field."""

import re
from datetime import datetime, timedelta

from acme.monitor.v1 import monitor_pb2 as pb

from accord.rpc_status import field_violation
from accord.validation import Violations, id_violations

_APPLICATION = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
MAX_MESSAGE = 2_000
MAX_STACK = 20_000
MAX_CONTEXT = 32
# An app's clock may run a little fast; a report further ahead is a bug, not a time.
MAX_AHEAD = timedelta(minutes=5)
# The MONITOR stream keeps a week: an older report could not be replayed anyway.
MAX_AGE = timedelta(days=7)


def report_violations(request: pb.ReportErrorRequest, now: datetime) -> Violations:
    violations = id_violations("report_id", request.report_id) + id_violations(
        "customer_id", request.customer_id
    )
    if not _APPLICATION.fullmatch(request.application):
        violations.append(
            field_violation("application", "must be 1 to 64 letters, digits, '.', '-' or '_'")
        )
    if not _ERROR_CODE.fullmatch(request.error_code):
        violations.append(
            field_violation(
                "error_code",
                "must be 1 to 64 upper-case letters, digits or '_', starting with a letter",
            )
        )
    if not 1 <= len(request.message) <= MAX_MESSAGE:
        violations.append(field_violation("message", f"must be 1 to {MAX_MESSAGE} characters"))
    if len(request.stack) > MAX_STACK:
        violations.append(field_violation("stack", f"must be at most {MAX_STACK} characters"))
    if len(request.context) > MAX_CONTEXT:
        violations.append(field_violation("context", f"must have at most {MAX_CONTEXT} entries"))
    if request.HasField("occur_time"):
        occurred = request.occur_time.ToDatetime(tzinfo=now.tzinfo)
        if not now - MAX_AGE <= occurred <= now + MAX_AHEAD:
            violations.append(
                field_violation(
                    "occur_time", "must be at most 7 days ago and at most 5 minutes ahead"
                )
            )
    return violations
