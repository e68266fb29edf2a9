"""The monitor's calls to other services: support tickets and in-app notices.

Both go through the gateway as `svc-monitor` (app.py opens the channel); here they are
plain typed stubs, so tests can point them at the services directly. Every call has a
timeout and waits for the gateway to be ready; any failure raises, and the error event is
retried with the contract's backoff (nothing is lost while support or notifications are
down).
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from acme.support.v1 import support_pb2 as support
from acme.support.v1 import support_pb2_grpc as support_grpc
from acme_events.monitor.messages.json import ErrorReportedPayload

from accord.gateway_client import refusals_are_final
from accord.rpc_status import reason_of
from accord.timestamps import timestamp
from services.monitor.knowledge import suggestion_for

NOTICE_EVENT_TYPE = "acme.monitor.v1.notice"
# The scopes the monitor's API key holds: exactly what these calls need.
SCOPES = ("support:tickets:open", "notifications:send")


class TicketResolved(Exception):
    """Support refused a new occurrence: the ticket under that key was resolved."""


def notice_id(ticket_id: str) -> str:
    # One notice per ticket: the ticket id is the idempotency key at notifications, in
    # monitor's own namespace of notification ids.
    return f"monitor.{ticket_id}"


@dataclass(frozen=True, slots=True)
class Support:
    stub: support_grpc.SupportServiceAsyncStub
    timeout: float

    async def open_ticket(
        self, ticket_key: str, report: ErrorReportedPayload, occurrence_id: str
    ) -> support.Ticket:
        request = support.OpenTicketRequest(
            ticket_key=ticket_key,
            customer_id=report.customer_id,
            title=f"{report.error_code} in {report.application}",
            description=report.message,
            application=report.application,
            error_code=report.error_code,
            fingerprint=report.fingerprint,
            suggested_fix=suggestion_for(report.error_code).fix,
            occurrence_id=occurrence_id,
            occur_time=timestamp(report.occurred_at),
        )
        with refusals_are_final(f"support refused ticket {ticket_key}"):
            try:
                response = await self.stub.OpenTicket(
                    request, timeout=self.timeout, wait_for_ready=True
                )
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.FAILED_PRECONDITION and reason_of(error) == (
                    "TICKET_RESOLVED"
                ):
                    raise TicketResolved(ticket_key) from None
                raise
        return response.ticket


@dataclass(frozen=True, slots=True)
class Notices:
    stub: notes_grpc.NotificationServiceAsyncStub
    timeout: float

    async def tell(self, ticket: support.Ticket) -> None:
        """The customer's in-app notice about a ticket. Its content depends on the ticket
        alone, so every attempt sends the same notice, which notifications makes once."""
        suggestion = suggestion_for(ticket.error_code)
        request = notes.SendNotificationRequest(
            notification_id=notice_id(ticket.ticket_id),
            customer_id=ticket.customer_id,
            title=f"{suggestion.summary} Here is what to try.",
            body=f"{ticket.application} hit {ticket.error_code}. Suggested fix: "
            f"{ticket.suggested_fix} Our support team is on it (ticket {ticket.ticket_id}); "
            "you do not need to report it again.",
            event_type=NOTICE_EVENT_TYPE,
            attributes={
                "ticketId": ticket.ticket_id,
                "errorCode": ticket.error_code,
                "application": ticket.application,
                "suggestedFix": ticket.suggested_fix,
            },
            channels=[notes.CHANNEL_IN_APP],
        )
        with refusals_are_final(f"notifications refused the notice of {ticket.ticket_id}"):
            await self.stub.SendNotification(request, timeout=self.timeout, wait_for_ready=True)
