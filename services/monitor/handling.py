"""What the monitor does with one error report; every step is safe to repeat.

1. Which ticket: Grouping gives the report its ticket key (episodes.py), once; a
   redelivery gets the same key.
2. OpenTicket at support with that key and the report's event id as the occurrence: one
   ticket per key, each occurrence counted once however often this runs. If support answers
   that the ticket was resolved, the report starts the next episode and opens its ticket.
3. One notice per ticket: sent unless `noticed.<ticketId>` says it was; if the mark was
   lost after a send, the repeat is a no-op at notifications (same id, same content).
"""

from dataclasses import dataclass

from acme_events.monitor.messages.json import ErrorReportedPayload

from accord.events import EventContext
from services.monitor.calls import Notices, Support, TicketResolved
from services.monitor.grouping import Grouping
from services.monitor.reports import event_id


@dataclass(frozen=True, slots=True)
class Handling:
    grouping: Grouping
    support: Support
    notices: Notices

    async def error_reported(self, report: ErrorReportedPayload, event: EventContext) -> None:
        key = await self.grouping.ticket_key(
            report.customer_id, report.report_id, report.fingerprint, report.occurred_at
        )
        occurrence = event_id(report.customer_id, report.report_id)  # as published
        try:
            ticket = await self.support.open_ticket(key, report, occurrence)
        except TicketResolved:
            key = await self.grouping.after_resolution(
                report.customer_id,
                report.report_id,
                report.fingerprint,
                report.occurred_at,
                resolved_key=key,
            )
            ticket = await self.support.open_ticket(key, report, occurrence)
        if not await self.grouping.noticed(ticket.ticket_id):
            await self.notices.tell(ticket)
            await self.grouping.mark_noticed(ticket.ticket_id)
