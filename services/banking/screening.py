"""Fraud screening: three deterministic rules over the source account's earlier transfers.

The rules run in this order; the first that fires decides:
1. VELOCITY → REJECTED. More than MAX_RECENT_TRANSFERS transfers requested from the account
   in the VELOCITY_WINDOW before this one (whatever became of them): a burst of transfers is
   the classic sign of a taken-over account, and refusing costs an honest customer only a
   short wait.
2. AMOUNT_AGAINST_HISTORY → HELD_FOR_REVIEW. The amount is more than HISTORY_MULTIPLE times
   the account's largest earlier completed transfer, and above HISTORY_FLOOR (an account
   without history may still send up to the floor): unusual for this customer, so a person
   looks before the money leaves.
3. NEW_PAYEE → HELD_FOR_REVIEW. No earlier completed transfer from this account went to the
   destination, and the amount is above NEW_PAYEE_THRESHOLD: small first payments pass,
   large ones to someone new wait for a review.
Otherwise PASSED → COMPLETED.

Amounts compare in the account's currency (whole units below), so the thresholds read the
same in every currency; a real bank would scale them per currency.
"""

from dataclasses import dataclass

from accord.money import NANOS_PER_UNIT
from services.banking.records import Decision, OutgoingRecord, Rule, Status

MAX_RECENT_TRANSFERS = 5
VELOCITY_WINDOW_NS = 10 * 60 * 1_000_000_000  # 10 minutes
HISTORY_MULTIPLE = 5
HISTORY_FLOOR = 1_000 * NANOS_PER_UNIT
NEW_PAYEE_THRESHOLD = 500 * NANOS_PER_UNIT


@dataclass(frozen=True)
class Request:
    to_account_id: str
    amount: int
    created_ns: int


def screen(request: Request, earlier: list[OutgoingRecord]) -> Decision:
    """The decision for `request`, given the account's other transfers (any status)."""
    recent = [
        other
        for other in earlier
        if request.created_ns - VELOCITY_WINDOW_NS <= other.created_ns <= request.created_ns
    ]
    if len(recent) >= MAX_RECENT_TRANSFERS:
        return Decision(
            status=Status.REJECTED,
            rule=Rule.VELOCITY,
            reason=f"More than {MAX_RECENT_TRANSFERS} transfers from this account in 10 minutes.",
        )
    completed = [other for other in earlier if other.status is Status.COMPLETED]
    largest = max((other.amount for other in completed), default=0)
    if request.amount > max(HISTORY_FLOOR, HISTORY_MULTIPLE * largest):
        return Decision(
            status=Status.HELD_FOR_REVIEW,
            rule=Rule.AMOUNT_AGAINST_HISTORY,
            reason=f"More than {HISTORY_MULTIPLE} times this account's largest transfer: "
            "held for review.",
        )
    paid_before = any(other.to_account_id == request.to_account_id for other in completed)
    if not paid_before and request.amount > NEW_PAYEE_THRESHOLD:
        return Decision(
            status=Status.HELD_FOR_REVIEW,
            rule=Rule.NEW_PAYEE,
            reason="A large first transfer to this account: held for review.",
        )
    return Decision(status=Status.COMPLETED, rule=Rule.PASSED, reason="Transfer completed.")
