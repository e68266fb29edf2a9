"""What the banking service stores, as JSON in its key-value buckets, and how it reads out.

Amounts are whole nanos (ints) of the record's currency; times are UTC.
"""

from datetime import UTC, datetime
from enum import StrEnum

from acme.banking.v1 import banking_pb2 as pb
from pydantic import BaseModel, Field

from accord.exactly_once import StepRecord
from accord.money import to_money
from accord.timestamps import timestamp, timestamp_ns


class Status(StrEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    HELD_FOR_REVIEW = "HELD_FOR_REVIEW"
    REJECTED = "REJECTED"


class Rule(StrEnum):
    PASSED = "PASSED"
    VELOCITY = "VELOCITY"
    AMOUNT_AGAINST_HISTORY = "AMOUNT_AGAINST_HISTORY"
    NEW_PAYEE = "NEW_PAYEE"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    REVIEW_APPROVED = "REVIEW_APPROVED"
    REVIEW_REJECTED = "REVIEW_REJECTED"


class AccountRecord(StepRecord):
    """`account.<accountId>`; `pending` names the posting legs applied whose ledger record
    may not be written yet (accord.exactly_once)."""

    account_id: str
    customer_id: str
    currency: str
    balance: int = 0  # posted: the sum of the account's entries
    held: int = 0  # reserved for transfers held for review or being posted
    created_at: datetime
    # An account outside the bank (where deposits come from): its balance may go negative.
    external: bool = False
    # Before every leg had a durable record, an account remembered its last 256 legs here.
    # Read, never written: a leg it names was applied (see ledger.py).
    applied: list[str] = Field(default_factory=list)

    @property
    def available(self) -> int:
        return self.balance - self.held


class Decision(BaseModel):
    status: Status  # the status the transfer is heading for
    rule: Rule
    reason: str


class TransferRecord(BaseModel):
    transfer_id: str
    request_id: str
    customer_id: str
    from_account_id: str
    to_account_id: str
    currency: str
    amount: int
    status: Status = Status.PENDING
    decision: Decision | None = None
    previous_status: Status | None = None
    posted_ns: int | None = None  # when its entries are (to be) posted; fixed once decided
    created_at: datetime
    updated_at: datetime

    @property
    def created_ns(self) -> int:
        return int(self.created_at.timestamp() * 1_000_000_000)


class OutgoingRecord(BaseModel):
    """One transfer requested from an account: what fraud screening looks back at."""

    to_account_id: str
    amount: int
    created_ns: int
    status: Status


class EntryRecord(BaseModel):
    entry_id: str
    account_id: str
    posting_id: str
    currency: str
    amount: int  # negative for a debit, positive for a credit
    counterparty_account_id: str
    posted_ns: int


def now() -> datetime:
    return datetime.now(UTC)


def account_pb(account: AccountRecord) -> pb.Account:
    return pb.Account(
        account_id=account.account_id,
        customer_id=account.customer_id,
        currency_code=account.currency,
        balance=to_money(pb.Money, account.currency, account.balance, "account.balance"),
        held=to_money(pb.Money, account.currency, account.held, "account.held"),
        available=to_money(pb.Money, account.currency, account.available, "account.available"),
        create_time=timestamp(account.created_at),
    )


def transfer_pb(transfer: TransferRecord) -> pb.Transfer:
    # A pending transfer may carry a decision it has not reached yet: show none.
    decision = transfer.decision if transfer.status is not Status.PENDING else None
    return pb.Transfer(
        transfer_id=transfer.transfer_id,
        request_id=transfer.request_id,
        customer_id=transfer.customer_id,
        from_account_id=transfer.from_account_id,
        to_account_id=transfer.to_account_id,
        amount=to_money(pb.Money, transfer.currency, transfer.amount, "transfer.amount"),
        status=pb.TransferStatus.Value(f"TRANSFER_STATUS_{transfer.status.value}"),
        rule=pb.ScreeningRule.Value(f"SCREENING_RULE_{decision.rule.value}")
        if decision
        else pb.SCREENING_RULE_UNSPECIFIED,
        reason=decision.reason if decision else "",
        create_time=timestamp(transfer.created_at),
        update_time=timestamp(transfer.updated_at),
    )


def entry_pb(entry: EntryRecord) -> pb.Entry:
    return pb.Entry(
        entry_id=entry.entry_id,
        account_id=entry.account_id,
        posting_id=entry.posting_id,
        amount=to_money(pb.Money, entry.currency, entry.amount, "entry.amount"),
        counterparty_account_id=entry.counterparty_account_id,
        post_time=timestamp_ns(entry.posted_ns),
    )
