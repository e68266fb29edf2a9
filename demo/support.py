"""Proactive support journeys: an app's errors become one ticket per problem, and a notice.

A customer's app reports the errors it hits (ReportError, through the gateway). The monitor
groups them by fingerprint (application, error code and message without its numbers and
ids): for each customer and fingerprint it opens one support ticket per 24-hour window, counts
later errors on it, and tells the customer's app once, with a suggested fix from its
knowledge base. Staff then list, assign and resolve the tickets; once resolved, the same
error opens a new ticket.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from acme.monitor.v1 import monitor_pb2 as mon
from acme.monitor.v1 import monitor_pb2_grpc as mon_grpc
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from acme.support.v1 import support_pb2 as sup
from acme.support.v1 import support_pb2_grpc as sup_grpc

from accord.tooling.examples import customer_scopes, staff_scopes
from demo.journeys import Demo
from demo.timeline import Timeline

Journey = Callable[[Demo, Timeline], Awaitable[None]]
T = TypeVar("T")

# A customer's app and the support desk, from the contracts' policies.
CUSTOMER_SCOPES = customer_scopes()
STAFF_SCOPES = staff_scopes()
WAIT_S = 10.0


async def _until(probe: Callable[[], Awaitable[T]], done: Callable[[T], bool]) -> T:
    """The platform works asynchronously: ask again until it has caught up (or time is up)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        value = await probe()
        if done(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


class App:
    """A customer's app, calling through the gateway with the customer's token."""

    def __init__(self, demo: Demo, customer: str, timeline: Timeline) -> None:
        self.customer = customer
        self._demo = demo
        self._timeline = timeline
        self._told: set[str] = set()  # notices already on the timeline

    async def report(self, code: str, message: str) -> None:
        async with self._demo.channel(self.customer, *CUSTOMER_SCOPES) as channel:
            answer = await mon_grpc.ErrorMonitorServiceStub(channel).ReportError(
                mon.ReportErrorRequest(
                    report_id=uuid.uuid4().hex,
                    customer_id=self.customer,
                    application="checkout-web",
                    error_code=code,
                    message=message,
                    stack="at pay (checkout.js:42)",
                )
            )
        self._timeline.note(
            "gateway", f'ReportError {code} "{message}" → fingerprint {answer.fingerprint}'
        )

    async def tickets(self) -> list[sup.Ticket]:
        async with self._demo.channel(self.customer, *CUSTOMER_SCOPES) as channel:
            listed = await sup_grpc.SupportServiceStub(channel).ListTickets(
                sup.ListTicketsRequest(customer_id=self.customer)
            )
        return list(listed.tickets)

    async def notices(self) -> list[notes.Notification]:
        async with self._demo.channel(self.customer, *CUSTOMER_SCOPES) as channel:
            listed = await notes_grpc.NotificationServiceStub(channel).ListNotifications(
                notes.ListNotificationsRequest(customer_id=self.customer)
            )
        return list(listed.notifications)

    async def show(self, tickets: int, notices: int, occurrences: int) -> list[sup.Ticket]:
        found = await _until(
            self.tickets,
            lambda t: len(t) >= tickets and sum(x.occurrences for x in t) >= occurrences,
        )
        for ticket in found:
            status = sup.TicketStatus.Name(ticket.status).removeprefix("TICKET_STATUS_")
            self._timeline.note(
                "support",
                f"ticket {ticket.ticket_id} {ticket.title}: {status}, "
                f"{ticket.occurrences} occurrence(s)",
            )
        for notice in await _until(self.notices, lambda n: len(n) >= notices):
            if notice.notification_id not in self._told:
                self._told.add(notice.notification_id)
                self._timeline.note("app", f"in-app notice: {notice.title} {notice.body}")
        return found


async def repeated_error(demo: Demo, timeline: Timeline) -> None:
    app = App(demo, demo.customer("grace"), timeline)
    timeline.follow(app.customer)
    for card, order in (("4242", "17"), ("4242", "18"), ("1881", "19")):
        await app.report("PAYMENT_DECLINED", f"Card {card} declined for order {order}")
    await app.show(tickets=1, notices=1, occurrences=3)
    await app.report("E_TIMEOUT", "Payment provider timed out after 30s")
    await app.show(tickets=2, notices=2, occurrences=4)


async def staff_resolve(demo: Demo, timeline: Timeline) -> None:
    app = App(demo, demo.customer("heidi"), timeline)
    timeline.follow(app.customer)
    await app.report("SESSION_EXPIRED", "Token expired at 1764230000")
    [ticket] = await app.show(tickets=1, notices=1, occurrences=1)
    async with demo.channel("staff", *STAFF_SCOPES) as channel:
        staff = sup_grpc.SupportServiceStub(channel)
        waiting = await staff.ListTickets(
            sup.ListTicketsRequest(customer_id=app.customer, status=sup.TICKET_STATUS_OPEN)
        )
        timeline.note("gateway", f"staff: {len(waiting.tickets)} open ticket(s) for the customer")
        await staff.AssignTicket(
            sup.AssignTicketRequest(ticket_id=ticket.ticket_id, assignee="sam")
        )
        timeline.note("gateway", f"staff: AssignTicket {ticket.ticket_id} → sam")
        await staff.ResolveTicket(
            sup.ResolveTicketRequest(
                ticket_id=ticket.ticket_id, resolution="Session lifetime fixed in 2.4.1"
            )
        )
        timeline.note("gateway", f"staff: ResolveTicket {ticket.ticket_id}")
    # Resolved is final: the same error afterwards is a new case, with a new notice.
    await app.report("SESSION_EXPIRED", "Token expired at 1764233600")
    await app.show(tickets=2, notices=2, occurrences=2)


JOURNEYS: list[tuple[str, Journey]] = [
    ("Support: a repeated error becomes one ticket and one notice", repeated_error),
    ("Support: staff assign and resolve; the error comes back as a new ticket", staff_resolve),
]
