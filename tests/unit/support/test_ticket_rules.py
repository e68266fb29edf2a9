"""The ticket rules alone: counting occurrences, and what a resolved ticket refuses. That each
occurrence counts once, forever, is the store's (tests/integration/support)."""

from datetime import UTC, datetime, timedelta

import pytest

from services.support.records import Status, TicketRecord
from services.support.rules import TicketClosed, assign, count_occurrence, resolve

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _ticket() -> TicketRecord:
    return TicketRecord(
        ticket_id="tk1",
        ticket_key="alice.fp.1",
        customer_id="alice",
        title="E_TIMEOUT in app",
        description="timed out",
        application="app",
        error_code="E_TIMEOUT",
        fingerprint="fp",
        suggested_fix="retry",
        created_at=T0,
        updated_at=T0,
    )


def test_each_occurrence_counts_and_the_first_opened_it() -> None:
    ticket = _ticket()
    count_occurrence(ticket, "r1", T0)
    count_occurrence(ticket, "r2", T0 + timedelta(hours=1))
    assert (ticket.occurrences, ticket.first_occurrence_id) == (2, "r1")
    assert (ticket.first_seen, ticket.last_seen) == (T0, T0 + timedelta(hours=1))


def test_a_late_occurrence_widens_first_seen() -> None:
    ticket = _ticket()
    count_occurrence(ticket, "r1", T0)
    count_occurrence(ticket, "r0", T0 - timedelta(minutes=5))
    assert (ticket.first_seen, ticket.last_seen) == (T0 - timedelta(minutes=5), T0)


def test_assigning_counts_changes_of_hands_only() -> None:
    ticket = _ticket()
    assert assign(ticket, "sam")
    assert not assign(ticket, "sam")
    assert assign(ticket, "kim")
    assert (ticket.status, ticket.assignee, ticket.assignments) == (Status.ASSIGNED, "kim", 2)


def test_a_resolved_ticket_refuses_new_occurrences_and_assignments() -> None:
    ticket = _ticket()
    count_occurrence(ticket, "r1", T0)
    assert resolve(ticket, "card replaced", T0 + timedelta(hours=1))
    assert not resolve(ticket, "something else", T0 + timedelta(hours=2))
    assert ticket.resolution == "card replaced"
    with pytest.raises(TicketClosed):
        count_occurrence(ticket, "r2", T0 + timedelta(hours=1, seconds=1))
    # Reported late, but it happened before the fix: the same incident, counted.
    count_occurrence(ticket, "r3", T0 + timedelta(minutes=30))
    assert (ticket.status, ticket.occurrences) == (Status.RESOLVED, 2)
    with pytest.raises(TicketClosed):
        assign(ticket, "sam")
