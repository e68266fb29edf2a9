"""The ticket rules, as pure functions over a ticket record (tests pin them).

- Counting: a new occurrence adds 1 to `occurrences` and widens first/last seen. The first
  occurrence counted is the one that opened the ticket. Each is counted once per ticket,
  forever: tickets.py keeps a marker per occurrence and asks for new ones only.
- A resolved ticket is closed for good: an occurrence after its resolution is refused (the
  monitor opens a new ticket under a new key), an assignment is refused, and resolving again
  changes nothing. An occurrence from before the resolution that is reported only after it
  (an app that was offline) is counted on the resolved ticket: it is the same incident, and
  it must not open a new ticket nor tell the customer again.
- Assigning to the current assignee changes nothing; assigning to someone else counts one
  more change of hands (the n of the `<ticketId>.assigned.<n>` event).
"""

from datetime import datetime

from services.support.records import Status, TicketRecord


class TicketClosed(Exception):
    """The ticket is resolved: it takes no new occurrence and no assignment."""


def count_occurrence(ticket: TicketRecord, occurrence_id: str, occurred_at: datetime) -> None:
    """Count a new occurrence on the ticket."""
    if ticket.status is Status.RESOLVED and (
        ticket.resolved_at is None or occurred_at > ticket.resolved_at
    ):
        raise TicketClosed(ticket.ticket_id)
    ticket.occurrences += 1
    if ticket.first_occurrence_id is None:
        ticket.first_occurrence_id = occurrence_id
    ticket.first_seen = min(ticket.first_seen or occurred_at, occurred_at)
    ticket.last_seen = max(ticket.last_seen or occurred_at, occurred_at)


def assign(ticket: TicketRecord, assignee: str) -> bool:
    """Give the ticket to `assignee`; False when they already have it (no change)."""
    if ticket.status is Status.RESOLVED:
        raise TicketClosed(ticket.ticket_id)
    if ticket.status is Status.ASSIGNED and ticket.assignee == assignee:
        return False
    ticket.status = Status.ASSIGNED
    ticket.assignee = assignee
    ticket.assignments += 1
    return True


def resolve(ticket: TicketRecord, resolution: str, at: datetime) -> bool:
    """Close the ticket for good at `at`; False when it was resolved before (no change)."""
    if ticket.status is Status.RESOLVED:
        return False
    ticket.status = Status.RESOLVED
    ticket.resolution = resolution
    ticket.resolved_at = at
    return True
