"""Request validation shared by every service: `check` answers a request's violations as one
INVALID_ARGUMENT naming every bad field (google.rpc.BadRequest); ids that can be key-value
keys and subject tokens; currency codes and positive amounts of Money."""

import re

from google.rpc import error_details_pb2

from accord.money import NANOS_PER_UNIT, MoneyMessage
from accord.rpc_status import field_violation, invalid_argument

# Ids become parts of key-value keys and NATS subjects: letters, digits, '-' and '_' only.
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

Violations = list[error_details_pb2.BadRequest.FieldViolation]


def id_violations(field: str, value: str) -> Violations:
    if _ID.fullmatch(value):
        return []
    return [field_violation(field, "must be 1 to 64 letters, digits, '-' or '_'")]


def currency_violations(field: str, value: str) -> Violations:
    if _CURRENCY.fullmatch(value):
        return []
    return [field_violation(field, "must be a three-letter ISO 4217 code")]


def positive_amount_violations(field: str, amount: MoneyMessage, max_units: int) -> Violations:
    """A currency code and an amount above zero of at most `max_units` units, with nanos
    (never negative) below one unit."""
    violations = currency_violations(f"{field}.currency_code", amount.currency_code)
    if not (0 <= amount.units <= max_units and 0 <= amount.nanos < NANOS_PER_UNIT) or (
        amount.units == 0 and amount.nanos == 0
    ):
        violations.append(
            field_violation(
                field, f"must be positive, at most {max_units} units; nanos 0 to 999,999,999"
            )
        )
    return violations


def check(violations: Violations) -> None:
    """Raise INVALID_ARGUMENT with a BadRequest naming each field in `violations`, if any:
    a servicer collects every problem of a request first, so the caller fixes them at once."""
    if violations:
        raise invalid_argument(violations)
