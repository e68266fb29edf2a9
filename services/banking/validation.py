"""Request rules, as the contract states them; each broken rule names its field."""

from acme.banking.v1 import banking_pb2 as pb

from accord.paging import page_size_violations
from accord.rpc_status import field_violation
from accord.validation import (
    Violations,
    currency_violations,
    id_violations,
    positive_amount_violations,
)

# A single movement of money is at most a trillion units: far above any real transfer, and
# it keeps every amount well inside the int64 of Money.units.
MAX_UNITS = 1_000_000_000_000


def amount_violations(field: str, amount: pb.Money) -> Violations:
    return positive_amount_violations(field, amount, MAX_UNITS)


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
    return id_violations("account_id", request.account_id) + page_size_violations(request.page_size)
