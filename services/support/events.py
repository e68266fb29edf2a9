"""Where support publishes ticket events: opened, assigned, resolved.

Event ids are derived from what happened: `<ticketId>.opened`, `<ticketId>.assigned.<n>`
(the n-th change of hands) and `<ticketId>.resolved`. The event is published again whenever
the call that caused it is repeated, so a publish that failed after the write is repaired
by the retry, and a repeat is stored once (JetStream's duplicate window) or, later,
ignored by consumers idempotent on the id.
"""

from dataclasses import dataclass

from acme_events.support import Application
from acme_events.support.messages.json import TicketPayload, TicketStatus

from services.support.records import TicketRecord


def payload_of(ticket: TicketRecord) -> TicketPayload:
    payload = TicketPayload(
        ticket_id=ticket.ticket_id,
        customer_id=ticket.customer_id,
        status=TicketStatus(ticket.status.value),
        title=ticket.title,
        application=ticket.application,
        error_code=ticket.error_code,
        fingerprint=ticket.fingerprint,
        occurrences=max(ticket.occurrences, 1),
        changed_at=ticket.updated_at,
    )
    # Left unset when empty: the contract has no null for them.
    if ticket.assignee:
        payload.assignee = ticket.assignee
    if ticket.resolution:
        payload.resolution = ticket.resolution
    return payload


@dataclass(frozen=True, slots=True)
class TicketEvents:
    app: Application

    async def opened(self, ticket: TicketRecord) -> None:
        await self.app.producer.send_ticket_opened(
            payload_of(ticket), event_id=f"{ticket.ticket_id}.opened", time=ticket.created_at
        )

    async def assigned(self, ticket: TicketRecord) -> None:
        await self.app.producer.send_ticket_assigned(
            payload_of(ticket),
            event_id=f"{ticket.ticket_id}.assigned.{ticket.assignments}",
            time=ticket.updated_at,
        )

    async def resolved(self, ticket: TicketRecord) -> None:
        await self.app.producer.send_ticket_resolved(
            payload_of(ticket), event_id=f"{ticket.ticket_id}.resolved", time=ticket.updated_at
        )
