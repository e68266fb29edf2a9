"""Proactive support through the gateway: an app reports errors, the monitor opens tickets at
support and tells the customer's app, staff work the tickets, customers see only their own.

Every call goes through the real gateway with development tokens; the monitor reaches support
and notifications through it too, with its own API key (svc-monitor).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import grpc
import pytest
from acme.monitor.v1 import monitor_pb2 as mon
from acme.monitor.v1 import monitor_pb2_grpc as mon_grpc
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from acme.support.v1 import support_pb2 as sup
from acme.support.v1 import support_pb2_grpc as sup_grpc

from services.monitor.knowledge import GENERIC, suggestion_for
from tests.e2e.conftest import Platform
from tests.support.waiting import settled

pytestmark = pytest.mark.e2e

CUSTOMER_SCOPES = ("monitor:report", "support:read", "notifications:read")
STAFF_SCOPES = ("support:read", "support:staff")
DEADLINE_S = 15.0


class Customer:
    """A customer's app: reports errors, reads tickets and notices, all through the gateway."""

    def __init__(self, platform: Platform, customer_id: str) -> None:
        self.id = customer_id
        self._platform = platform

    def _channel(self) -> grpc.aio.Channel:
        return self._platform.channel(self.id, *CUSTOMER_SCOPES)

    async def report(
        self, report_id: str, code: str, message: str, customer_id: str | None = None
    ) -> mon.ReportErrorResponse:
        async with self._channel() as channel:
            return await mon_grpc.ErrorMonitorServiceStub(channel).ReportError(
                mon.ReportErrorRequest(
                    report_id=report_id,
                    customer_id=customer_id or self.id,
                    application="checkout-web",
                    error_code=code,
                    message=message,
                ),
                timeout=10,
            )

    async def tickets(self) -> list[sup.Ticket]:
        async with self._channel() as channel:
            listed = await sup_grpc.SupportServiceStub(channel).ListTickets(
                sup.ListTicketsRequest(customer_id=self.id), timeout=10
            )
        return list(listed.tickets)

    async def notices(self) -> list[notes.Notification]:
        async with self._channel() as channel:
            listed = await notes_grpc.NotificationServiceStub(channel).ListNotifications(
                notes.ListNotificationsRequest(customer_id=self.id), timeout=10
            )
        return list(listed.notifications)


def _counted(count: int) -> Callable[[list[sup.Ticket]], bool]:
    return lambda tickets: sum(t.occurrences for t in tickets) >= count


async def test_errors_open_one_ticket_per_fingerprint_and_one_notice_each(
    platform: Platform, unique: str
) -> None:
    alice = Customer(platform, f"alice-{unique}")
    first = await alice.report("r1", "PAYMENT_DECLINED", "Card 4242 declined for order 17")
    [ticket] = await settled(alice.tickets, _counted(1), DEADLINE_S)
    assert (ticket.error_code, ticket.fingerprint, ticket.status) == (
        "PAYMENT_DECLINED",
        first.fingerprint,
        sup.TICKET_STATUS_OPEN,
    )
    [notice] = await settled(alice.notices, bool, DEADLINE_S)
    assert notice.attributes["ticketId"] == ticket.ticket_id
    assert suggestion_for("PAYMENT_DECLINED").fix in notice.body
    assert list(notice.channels) == [notes.CHANNEL_IN_APP]

    # The same error again (other card and order numbers) and a retried report: counted.
    await asyncio.gather(
        alice.report("r2", "PAYMENT_DECLINED", "Card 1881 declined for order 18"),
        alice.report("r3", "PAYMENT_DECLINED", "Card 5555 declined for order 19"),
        alice.report("r2", "PAYMENT_DECLINED", "Card 1881 declined for order 18"),
    )
    tickets = await settled(alice.tickets, _counted(3), DEADLINE_S)
    assert [(t.ticket_id, t.occurrences) for t in tickets] == [(ticket.ticket_id, 3)]

    # Another fingerprint (an unknown code): a second ticket, a second notice, generic advice.
    other = await alice.report("r4", "E_WIDGET_MELTED", "Widget 7 melted")
    assert other.fingerprint != first.fingerprint
    tickets = await settled(alice.tickets, lambda found: len(found) == 2, DEADLINE_S)
    assert [t.error_code for t in tickets] == ["PAYMENT_DECLINED", "E_WIDGET_MELTED"]
    notices = await settled(alice.notices, lambda found: len(found) == 2, DEADLINE_S)
    assert [n.attributes["ticketId"] for n in notices] == [t.ticket_id for t in tickets]
    assert GENERIC.fix in notices[1].body


async def test_staff_list_assign_and_resolve_and_the_next_error_opens_a_new_ticket(
    platform: Platform, unique: str
) -> None:
    bob = Customer(platform, f"bob-{unique}")
    await bob.report("r1", "E_TIMEOUT", "upstream timed out after 30s")
    [ticket] = await settled(bob.tickets, _counted(1), DEADLINE_S)
    async with platform.channel(f"staff-{unique}", *STAFF_SCOPES) as channel:
        staff = sup_grpc.SupportServiceStub(channel)
        everyone = await staff.ListTickets(
            sup.ListTicketsRequest(status=sup.TICKET_STATUS_OPEN, page_size=100), timeout=10
        )
        assert ticket.ticket_id in [t.ticket_id for t in everyone.tickets]
        assigned = await staff.AssignTicket(
            sup.AssignTicketRequest(ticket_id=ticket.ticket_id, assignee=f"sam-{unique}"),
            timeout=10,
        )
        assert assigned.ticket.status == sup.TICKET_STATUS_ASSIGNED
        mine = await staff.ListTickets(sup.ListTicketsRequest(assignee=f"sam-{unique}"), timeout=10)
        assert [t.ticket_id for t in mine.tickets] == [ticket.ticket_id]
        resolved = await staff.ResolveTicket(
            sup.ResolveTicketRequest(ticket_id=ticket.ticket_id, resolution="Upstream fixed"),
            timeout=10,
        )
        assert resolved.ticket.status == sup.TICKET_STATUS_RESOLVED

    # Resolved is final: the same error later is a new case, with its own notice.
    await bob.report("r2", "E_TIMEOUT", "upstream timed out after 31s")
    tickets = await settled(bob.tickets, lambda found: len(found) == 2, DEADLINE_S)
    assert [t.status for t in tickets] == [sup.TICKET_STATUS_RESOLVED, sup.TICKET_STATUS_OPEN]
    notices = await settled(bob.notices, lambda found: len(found) == 2, DEADLINE_S)
    assert len({n.notification_id for n in notices}) == 2


async def test_customers_see_and_report_only_their_own(platform: Platform, unique: str) -> None:
    carol, dave = Customer(platform, f"carol-{unique}"), Customer(platform, f"dave-{unique}")
    await carol.report("r1", "E_TIMEOUT", "upstream timed out")
    await dave.report("r1", "E_TIMEOUT", "upstream timed out")
    [carols] = await settled(carol.tickets, _counted(1), DEADLINE_S)
    [daves] = await settled(dave.tickets, _counted(1), DEADLINE_S)
    assert carols.ticket_id != daves.ticket_id

    async with platform.channel(carol.id, *CUSTOMER_SCOPES) as channel:
        support = sup_grpc.SupportServiceStub(channel)
        own = await support.GetTicket(sup.GetTicketRequest(ticket_id=carols.ticket_id))
        assert own.ticket.customer_id == carol.id
        hidden = []
        for ticket_id in (daves.ticket_id, f"tk-none-{unique}"):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await support.GetTicket(sup.GetTicketRequest(ticket_id=ticket_id), timeout=10)
            hidden.append((refused.value.code(), refused.value.details()))
        assert [code for code, _ in hidden] == [grpc.StatusCode.NOT_FOUND] * 2
        for request in (
            sup.ListTicketsRequest(customer_id=dave.id),
            sup.ListTicketsRequest(customer_id=""),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await support.ListTickets(request, timeout=10)
            assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as not_staff:
            await support.ResolveTicket(
                sup.ResolveTicketRequest(ticket_id=carols.ticket_id, resolution="x"), timeout=10
            )
        assert not_staff.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as for_another:
        await carol.report("r2", "E_TIMEOUT", "upstream timed out", customer_id=dave.id)
    assert for_another.value.code() == grpc.StatusCode.PERMISSION_DENIED
