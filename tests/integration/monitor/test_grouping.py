"""Error reports → tickets and notices, with the real support and notifications services.

What the contract promises, on real NATS: one ticket per customer, fingerprint and window,
each report counted once (also when its event comes again), one notice per ticket, and a
new ticket after the window or after staff resolved the last one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from acme.monitor.v1 import monitor_pb2 as pb
from acme.monitor.v1 import monitor_pb2_grpc as pb_grpc
from acme.notifications.v1 import notifications_pb2 as notes
from acme.notifications.v1 import notifications_pb2_grpc as notes_grpc
from acme.support.v1 import support_pb2 as support
from acme_events.monitor import SOURCE, Application
from google.protobuf import timestamp_pb2
from joserfc.jwk import OKPKey
from nats.aio.client import Client as NatsClient

from accord.events import EventSettings
from accord.service import RunningService
from services.monitor.calls import notice_id
from services.monitor.knowledge import suggestion_for
from services.monitor.reports import payload_of
from tests.integration.support.conftest import Stub
from tests.support.principals import channel_as
from tests.support.waiting import settled

pytestmark = pytest.mark.integration


def _request(
    customer: str,
    report_id: str,
    code: str = "PAYMENT_DECLINED",
    message: str = "Card 4242 declined",
    occurred: datetime | None = None,
) -> pb.ReportErrorRequest:
    request = pb.ReportErrorRequest(
        report_id=report_id,
        customer_id=customer,
        application="checkout-web",
        error_code=code,
        message=message,
        stack="at pay (checkout.js:42)",
        context={"screen": "checkout"},
    )
    if occurred is not None:
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(occurred)
        request.occur_time.CopyFrom(stamp)
    return request


class World:
    """Calls as a customer's app, as staff and as the customer reading notices."""

    def __init__(
        self, monitor: RunningService, notifications: RunningService, key: OKPKey, staff: Stub
    ) -> None:
        self.monitor_address = f"127.0.0.1:{monitor.port}"
        self._notifications = f"127.0.0.1:{notifications.port}"
        self.key = key
        self.staff = staff

    async def report(self, request: pb.ReportErrorRequest) -> pb.ReportErrorResponse:
        async with channel_as(
            self.monitor_address, self.key, request.customer_id, "monitor:report"
        ) as ch:
            return await pb_grpc.ErrorMonitorServiceStub(ch).ReportError(request)

    async def tickets(self, customer: str) -> list[support.Ticket]:
        listed = await self.staff.ListTickets(support.ListTicketsRequest(customer_id=customer))
        return list(listed.tickets)

    async def notices(self, customer: str) -> list[notes.Notification]:
        async with channel_as(self._notifications, self.key, customer, "notifications:read") as ch:
            listed = await notes_grpc.NotificationServiceStub(ch).ListNotifications(
                notes.ListNotificationsRequest(customer_id=customer)
            )
        return list(listed.notifications)


@pytest.fixture
def world(
    monitor_service: RunningService,
    notifications_service: RunningService,
    gateway_key: OKPKey,
    staff: Stub,
) -> World:
    return World(monitor_service, notifications_service, gateway_key, staff)


def _occurrences(count: int) -> Callable[[list[support.Ticket]], bool]:
    return lambda tickets: sum(t.occurrences for t in tickets) >= count


async def test_an_error_opens_one_ticket_and_one_notice_with_the_suggested_fix(
    world: World, unique: str
) -> None:
    customer = f"c-{unique}"
    answer = await world.report(_request(customer, "r1"))
    assert answer.event_id == f"{customer}.r1"
    tickets = await settled(lambda: world.tickets(customer), _occurrences(1))
    assert len(tickets) == 1
    ticket = tickets[0]
    assert (ticket.error_code, ticket.fingerprint, ticket.occurrences) == (
        "PAYMENT_DECLINED",
        answer.fingerprint,
        1,
    )
    assert ticket.suggested_fix == suggestion_for("PAYMENT_DECLINED").fix
    notices = await settled(lambda: world.notices(customer), bool)
    assert [n.notification_id for n in notices] == [notice_id(ticket.ticket_id)]
    assert suggestion_for("PAYMENT_DECLINED").fix in notices[0].body
    assert notices[0].attributes["ticketId"] == ticket.ticket_id


async def test_repeats_within_the_window_are_counted_on_the_one_ticket(
    world: World, unique: str
) -> None:
    customer = f"c-{unique}"
    # Other card numbers, the same problem: one fingerprint. r2 is sent twice (a retry).
    await asyncio.gather(
        *(
            world.report(_request(customer, f"r{n}", message=f"Card {n}{n}42 declined"))
            for n in range(1, 6)
        ),
        world.report(_request(customer, "r2", message="Card 2242 declined")),
    )
    tickets = await settled(lambda: world.tickets(customer), _occurrences(5))
    assert [t.occurrences for t in tickets] == [5]
    notices = await settled(lambda: world.notices(customer), bool)
    assert len(notices) == 1


async def test_another_fingerprint_opens_another_ticket(world: World, unique: str) -> None:
    customer = f"c-{unique}"
    await world.report(_request(customer, "r1"))
    await world.report(_request(customer, "r2", code="E_TIMEOUT", message="upstream timed out"))
    tickets = await settled(lambda: world.tickets(customer), lambda t: len(t) == 2)
    assert sorted(t.error_code for t in tickets) == ["E_TIMEOUT", "PAYMENT_DECLINED"]
    notices = await settled(lambda: world.notices(customer), lambda n: len(n) == 2)
    assert {n.attributes["errorCode"] for n in notices} == {"E_TIMEOUT", "PAYMENT_DECLINED"}


async def test_an_error_after_the_window_opens_a_new_ticket(world: World, unique: str) -> None:
    customer = f"c-{unique}"
    now = datetime.now(UTC)
    await world.report(_request(customer, "old", occurred=now - timedelta(hours=30)))
    await settled(lambda: world.tickets(customer), _occurrences(1))
    await world.report(_request(customer, "late", occurred=now - timedelta(hours=31)))
    await world.report(_request(customer, "new", occurred=now))
    tickets = await settled(lambda: world.tickets(customer), _occurrences(3))
    # The late one occurred before the first window ended: it joins the first ticket.
    assert [t.occurrences for t in tickets] == [2, 1]
    assert tickets[0].ticket_key.endswith(".1")
    assert tickets[1].ticket_key.endswith(".2")


async def test_after_resolution_the_next_error_opens_a_new_ticket(
    world: World, unique: str
) -> None:
    customer = f"c-{unique}"
    await world.report(_request(customer, "r1"))
    [first] = await settled(lambda: world.tickets(customer), _occurrences(1))
    await world.staff.ResolveTicket(
        support.ResolveTicketRequest(ticket_id=first.ticket_id, resolution="Card replaced")
    )
    await world.report(_request(customer, "r2"))
    tickets = await settled(lambda: world.tickets(customer), lambda t: len(t) == 2)
    assert [t.status for t in tickets] == [
        support.TICKET_STATUS_RESOLVED,
        support.TICKET_STATUS_OPEN,
    ]
    assert [t.occurrences for t in tickets] == [1, 1]
    notices = await settled(lambda: world.notices(customer), lambda n: len(n) == 2)
    assert [n.attributes["ticketId"] for n in notices] == [t.ticket_id for t in tickets]


async def test_a_redelivered_report_changes_nothing(
    world: World, nats_client: NatsClient, unique: str
) -> None:
    customer = f"c-{unique}"
    request = _request(customer, "r1")
    await world.report(request)
    await settled(lambda: world.tickets(customer), _occurrences(1))
    await settled(lambda: world.notices(customer), bool)
    # The same report again, past JetStream's duplicate window (another message id).
    publisher = Application(
        nats_client, settings=EventSettings(source=SOURCE, require_handlers=False)
    )
    async with publisher:
        now = datetime.now(UTC)
        await publisher.producer.send_error_reported(
            payload_of(request, now, now), event_id=f"replay-{unique}"
        )
    await settled(lambda: _backlog(nats_client), lambda left: left == 0)
    assert [t.occurrences for t in await world.tickets(customer)] == [1]
    assert len(await world.notices(customer)) == 1


async def _backlog(nc: NatsClient) -> int:
    """Reports the monitor has not finished with yet (not delivered, or not acknowledged)."""
    info = await nc.jetstream().consumer_info("MONITOR", "monitor-error-reported")
    return int(info.num_pending or 0) + int(info.num_ack_pending or 0)


async def test_bad_reports_name_their_fields_and_apps_report_only_for_their_customer(
    world: World, unique: str
) -> None:
    customer = f"c-{unique}"
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await world.report(
            _request(
                customer, "r 1", code="payment", occurred=datetime.now(UTC) + timedelta(hours=1)
            )
        )
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "report_id, error_code, occur_time" in (invalid.value.details() or "")
    async with channel_as(world.monitor_address, world.key, customer, "monitor:report") as ch:
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await pb_grpc.ErrorMonitorServiceStub(ch).ReportError(_request(f"x-{unique}", "r1"))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
