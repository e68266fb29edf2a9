"""acme.support.v1.SupportService: checks each call, then asks the ticket store."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC

import grpc
from acme.support.v1 import support_pb2 as pb
from acme.support.v1 import support_pb2_grpc as pb_grpc

from accord.access import Access, Context, not_found, permission_denied
from accord.identity import Principal
from accord.paging import after_sequence, page_size_or_default, sequence_token
from accord.rpc_status import RpcError, error_info
from accord.validation import check, id_violations
from services.support import validation
from services.support.records import Opening, Status, TicketRecord, ticket_pb
from services.support.rules import TicketClosed
from services.support.tickets import Filter, KeyReused, TicketNotFound, Tickets


def _closed(ticket_id: str) -> RpcError:
    return RpcError(
        grpc.StatusCode.FAILED_PRECONDITION,
        f"ticket {ticket_id} is resolved",
        error_info("TICKET_RESOLVED", ticket_id=ticket_id),
    )


@contextmanager
def _refusals(ticket_id: str) -> Iterator[None]:
    """What staff's change of a ticket answers when the store refuses it: NOT_FOUND for a
    missing ticket, FAILED_PRECONDITION for a resolved one (which resolving again is not)."""
    try:
        yield
    except TicketNotFound:
        raise not_found("ticket", ticket_id) from None
    except TicketClosed:
        raise _closed(ticket_id) from None


@dataclass(frozen=True, slots=True)
class SupportServiceV1(pb_grpc.SupportServiceServicer):
    tickets: Tickets
    access: Access

    async def _ticket(self, ticket_id: str, caller: Principal) -> TicketRecord:
        """The ticket, if it exists and the caller may see it; NOT_FOUND alike otherwise."""
        check(id_violations("ticket_id", ticket_id))
        try:
            ticket = await self.tickets.get(ticket_id)
        except TicketNotFound:
            raise not_found("ticket", ticket_id) from None
        if not self.access.may_see(caller, ticket.customer_id):
            raise not_found("ticket", ticket_id)
        return ticket

    def _staff(self, context: Context) -> Principal:
        return self.access.staff(
            context, f"only staff holding {self.access.admin_scope} may change tickets"
        )

    async def OpenTicket(
        self, request: pb.OpenTicketRequest, context: Context
    ) -> pb.OpenTicketResponse:
        check(validation.open_violations(request))
        opening = Opening(
            customer_id=request.customer_id,
            title=request.title,
            description=request.description,
            application=request.application,
            error_code=request.error_code,
            fingerprint=request.fingerprint,
            suggested_fix=request.suggested_fix,
        )
        occurred = request.occur_time.ToDatetime(tzinfo=UTC)
        try:
            ticket, opened = await self.tickets.open(
                request.ticket_key, opening, request.occurrence_id, occurred
            )
        except TicketClosed as closed:
            raise _closed(str(closed)) from None
        except KeyReused:
            raise RpcError(
                grpc.StatusCode.ALREADY_EXISTS,
                f"ticket_key {request.ticket_key} already opened a ticket for another customer",
                error_info("TICKET_KEY_REUSED", ticket_key=request.ticket_key),
            ) from None
        return pb.OpenTicketResponse(ticket=ticket_pb(ticket), opened=opened)

    async def GetTicket(
        self, request: pb.GetTicketRequest, context: Context
    ) -> pb.GetTicketResponse:
        caller = self.access.caller(context)
        return pb.GetTicketResponse(ticket=ticket_pb(await self._ticket(request.ticket_id, caller)))

    async def ListTickets(
        self, request: pb.ListTicketsRequest, context: Context
    ) -> pb.ListTicketsResponse:
        caller = self.access.caller(context)
        check(validation.list_violations(request))
        # A customer lists their own only (an empty customer_id means everyone's: staff only).
        if not self.access.may_see(caller, request.customer_id):
            raise permission_denied("customer_id must name the caller")
        status = (
            Status(pb.TicketStatus.Name(request.status).removeprefix("TICKET_STATUS_"))
            if request.status
            else None
        )
        where = Filter(request.customer_id, status, request.assignee)
        tickets, last = await self.tickets.list(
            where, page_size_or_default(request.page_size), after_sequence(request.page_token)
        )
        return pb.ListTicketsResponse(
            tickets=[ticket_pb(t) for t in tickets], next_page_token=sequence_token(last)
        )

    async def AssignTicket(
        self, request: pb.AssignTicketRequest, context: Context
    ) -> pb.AssignTicketResponse:
        self._staff(context)  # staff see every ticket: only a missing one is NOT_FOUND
        check(validation.assign_violations(request))
        with _refusals(request.ticket_id):
            ticket = await self.tickets.assign(request.ticket_id, request.assignee)
        return pb.AssignTicketResponse(ticket=ticket_pb(ticket))

    async def ResolveTicket(
        self, request: pb.ResolveTicketRequest, context: Context
    ) -> pb.ResolveTicketResponse:
        self._staff(context)  # staff see every ticket: only a missing one is NOT_FOUND
        check(validation.resolve_violations(request))
        with _refusals(request.ticket_id):
            ticket = await self.tickets.resolve(request.ticket_id, request.resolution)
        return pb.ResolveTicketResponse(ticket=ticket_pb(ticket))
