"""Request rules, as the contract states them; each broken rule names its field."""

import re

from acme.banking.v1 import banking_pb2 as pb
from google.rpc import error_details_pb2

from accord.money import NANOS_PER_UNIT
from accord.rpc_status import field_violation

# Ids become parts of key-value keys and subjects: letters, digits, '-' and '_' only.
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_PAGE_SIZE = 100
# A single movement of money is at most a trillion units: far above any real transfer, and
# it keeps every amount well inside the int64 of Money.units.
MAX_UNITS = 1_000_000_000_000

Violations = list[error_details_pb2.BadRequest.FieldViolation]


def id_violations(field: str, value: str) -> Violations:
    if _ID.fullmatch(value):
        return []
    return [field_violation(field, "must be 1 to 64 letters, digits, '-' or '_'")]


def currency_violations(field: str, value: str) -> Violations:
    if _CURRENCY.fullmatch(value):
        return []
    return [field_violation(field, "must be a three-letter ISO 4217 code")]


def amount_violations(field: str, amount: pb.Money) -> Violations:
    violations = currency_violations(f"{field}.currency_code", amount.currency_code)
    if not (0 <= amount.units <= MAX_UNITS and 0 <= amount.nanos < NANOS_PER_UNIT) or (
        amount.units == 0 and amount.nanos == 0
    ):
        violations.append(
            field_violation(
                field, f"must be positive, at most {MAX_UNITS} units; nanos 0 to 999,999,999"
            )
        )
    return violations


def open_account_violations(request: pb.OpenAccountRequest) -> Violations:
    return id_violations("customer_id", request.customer_id) + currency_violations(
        "currency_code", request.currency_code
    )


def deposit_violations(request: pb.DepositRequest) -> Violations:
    return (
        id_violations("account_id", request.account_id)
        + id_violations("request_id", request.request_id)
        + amount_violations("amount", request.amount)
    )


def transfer_violations(request: pb.TransferRequest) -> Violations:
    violations = (
        id_violations("request_id", request.request_id)
        + id_violations("from_account_id", request.from_account_id)
        + id_violations("to_account_id", request.to_account_id)
        + amount_violations("amount", request.amount)
    )
    if request.from_account_id and request.from_account_id == request.to_account_id:
        violations.append(field_violation("to_account_id", "must differ from from_account_id"))
    return violations


def list_entries_violations(request: pb.ListEntriesRequest) -> Violations:
    violations = id_violations("account_id", request.account_id)
    if not 0 <= request.page_size <= MAX_PAGE_SIZE:
        violations.append(field_violation("page_size", f"must be from 0 to {MAX_PAGE_SIZE}"))
    return violations
