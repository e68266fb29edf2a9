"""The fraud rules alone: deterministic decisions over an account's earlier transfers."""

from services.banking.records import OutgoingRecord, Rule, Status
from services.banking.screening import (
    HISTORY_FLOOR,
    HISTORY_MULTIPLE,
    MAX_RECENT_TRANSFERS,
    NEW_PAYEE_THRESHOLD,
    VELOCITY_WINDOW_NS,
    Request,
    screen,
)

NOW = 10 * VELOCITY_WINDOW_NS


def _earlier(
    to: str, amount: int, ago_ns: int, status: Status = Status.COMPLETED
) -> OutgoingRecord:
    return OutgoingRecord(to_account_id=to, amount=amount, created_ns=NOW - ago_ns, status=status)


def test_a_small_transfer_without_history_passes() -> None:
    decision = screen(Request("bob", NEW_PAYEE_THRESHOLD, NOW), [])
    assert (decision.status, decision.rule) == (Status.COMPLETED, Rule.PASSED)


def test_velocity_counts_every_recent_transfer_and_only_recent_ones() -> None:
    recent = [_earlier("bob", 1, 1_000, Status.REJECTED) for _ in range(MAX_RECENT_TRANSFERS)]
    old = [_earlier("bob", 1, VELOCITY_WINDOW_NS + 1) for _ in range(10)]
    assert screen(Request("bob", 1, NOW), recent).rule is Rule.VELOCITY
    assert screen(Request("bob", 1, NOW), recent[1:] + old).rule is Rule.PASSED


def test_an_amount_far_above_history_is_held_but_the_floor_always_passes() -> None:
    history = [_earlier("bob", HISTORY_FLOOR, VELOCITY_WINDOW_NS * 2)]
    limit = HISTORY_MULTIPLE * HISTORY_FLOOR
    assert screen(Request("bob", limit, NOW), history).rule is Rule.PASSED
    held = screen(Request("bob", limit + 1, NOW), history)
    assert (held.status, held.rule) == (Status.HELD_FOR_REVIEW, Rule.AMOUNT_AGAINST_HISTORY)
    assert screen(Request("bob", HISTORY_FLOOR, NOW), []).rule is Rule.NEW_PAYEE


def test_a_new_payee_is_held_above_the_threshold_only() -> None:
    paid_bob = [_earlier("bob", 1, VELOCITY_WINDOW_NS * 2)]
    big = NEW_PAYEE_THRESHOLD + 1
    assert screen(Request("carol", big, NOW), paid_bob).rule is Rule.NEW_PAYEE
    assert screen(Request("bob", big, NOW), paid_bob).rule is Rule.PASSED
    # A payee only held or rejected before is still new.
    tried_carol = [_earlier("carol", 1, VELOCITY_WINDOW_NS * 2, Status.REJECTED)]
    assert screen(Request("carol", big, NOW), tried_carol).rule is Rule.NEW_PAYEE
