"""The support service alone: idempotent opening, staff work, owner isolation, events."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest
from acme.support.v1 import support_pb2 as pb
from acme.support.v1 import support_pb2_grpc as pb_grpc
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from nats.js import JetStreamContext

from accord.rpc_status import details_of
from accord.service import RunningService
from tests.integration.support.conftest import Stub, StubAs

pytestmark = pytest.mark.integration


def _open(
    customer: str, key: str, occurrence: str, code: str = "E_TIMEOUT"
) -> pb.OpenTicketRequest:
    occurred = timestamp_pb2.Timestamp()
    occurred.GetCurrentTime()
    return pb.OpenTicketRequest(
        ticket_key=key,
        customer_id=customer,
        title=f"{code} in checkout-web",
        description="upstream timed out after 30s",
        application="checkout-web",
        error_code=code,
        fingerprint="0123456789abcdef",
        suggested_fix="Check your connection.",
        occurrence_id=occurrence,
        occur_time=occurred,
    )


def _reason(error: grpc.aio.AioRpcError) -> str:
    info = error_details_pb2.ErrorInfo()
    assert details_of(error)[0].Unpack(info)
    return str(info.reason)


async def test_one_key_opens_one_ticket_and_counts_each_occurrence_once(
    monitor: Stub, unique: str
) -> None:
    customer, key = f"c-{unique}", f"c-{unique}.fp.1"
    first = await monitor.OpenTicket(_open(customer, key, "r0"))
    concurrent = await asyncio.gather(
        *(monitor.OpenTicket(_open(customer, key, f"r{n}")) for n in range(1, 8)),
        *(monitor.OpenTicket(_open(customer, key, "r1")) for _ in range(3)),
    )
    again = await monitor.OpenTicket(_open(customer, key, "r0"))
    assert first.opened
    assert again.opened
    assert not any(answer.opened for answer in concurrent)
    assert {answer.ticket.ticket_id for answer in concurrent} == {first.ticket.ticket_id}
    assert again.ticket.occurrences == 8
    assert again.ticket.status == pb.TICKET_STATUS_OPEN


async def test_customers_see_only_their_own_tickets(
    monitor: Stub, stub_as: StubAs, unique: str
) -> None:
    alice, bob = f"a-{unique}", f"b-{unique}"
    mine = (await monitor.OpenTicket(_open(alice, f"{alice}.fp.1", "r1"))).ticket
    theirs = (await monitor.OpenTicket(_open(bob, f"{bob}.fp.1", "r1"))).ticket
    async with stub_as(alice) as support:
        got = await support.GetTicket(pb.GetTicketRequest(ticket_id=mine.ticket_id))
        assert got.ticket == mine
        listed = await support.ListTickets(pb.ListTicketsRequest(customer_id=alice))
        assert [t.ticket_id for t in listed.tickets] == [mine.ticket_id]
        answers = []
        for ticket_id in (theirs.ticket_id, f"tk-missing-{unique}"):
            with pytest.raises(grpc.aio.AioRpcError) as hidden:
                await support.GetTicket(pb.GetTicketRequest(ticket_id=ticket_id))
            answers.append((hidden.value.code(), _reason(hidden.value)))
        assert answers == [(grpc.StatusCode.NOT_FOUND, "TICKET_NOT_FOUND")] * 2
        for other in (bob, ""):
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await support.ListTickets(pb.ListTicketsRequest(customer_id=other))
            assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as not_staff:
            await support.ResolveTicket(
                pb.ResolveTicketRequest(ticket_id=mine.ticket_id, resolution="done")
            )
        assert not_staff.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_staff_list_filter_assign_and_resolve(
    monitor: Stub, staff: Stub, jetstream: JetStreamContext, unique: str
) -> None:
    customer = f"c-{unique}"
    first = (await monitor.OpenTicket(_open(customer, f"{customer}.a.1", "r1"))).ticket
    second = (await monitor.OpenTicket(_open(customer, f"{customer}.b.1", "r2"))).ticket
    assigned = await staff.AssignTicket(
        pb.AssignTicketRequest(ticket_id=first.ticket_id, assignee="sam")
    )
    assert (assigned.ticket.status, assigned.ticket.assignee) == (pb.TICKET_STATUS_ASSIGNED, "sam")
    again = await staff.AssignTicket(
        pb.AssignTicketRequest(ticket_id=first.ticket_id, assignee="sam")
    )
    assert again.ticket == assigned.ticket  # the same assignee: nothing changes

    by_assignee = await staff.ListTickets(
        pb.ListTicketsRequest(customer_id=customer, assignee="sam")
    )
    assert [t.ticket_id for t in by_assignee.tickets] == [first.ticket_id]
    opened = await staff.ListTickets(
        pb.ListTicketsRequest(customer_id=customer, status=pb.TICKET_STATUS_OPEN)
    )
    assert [t.ticket_id for t in opened.tickets] == [second.ticket_id]
    everyone = await staff.ListTickets(pb.ListTicketsRequest(assignee="sam", page_size=100))
    assert first.ticket_id in [t.ticket_id for t in everyone.tickets]

    resolved = await staff.ResolveTicket(
        pb.ResolveTicketRequest(ticket_id=first.ticket_id, resolution="Upstream fixed")
    )
    assert resolved.ticket.status == pb.TICKET_STATUS_RESOLVED
    assert resolved.ticket.resolution == "Upstream fixed"
    with pytest.raises(grpc.aio.AioRpcError) as closed:
        await staff.AssignTicket(pb.AssignTicketRequest(ticket_id=first.ticket_id, assignee="kim"))
    assert (closed.value.code(), _reason(closed.value)) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "TICKET_RESOLVED",
    )
    with pytest.raises(grpc.aio.AioRpcError) as new_occurrence:
        await monitor.OpenTicket(_open(customer, f"{customer}.a.1", "r3"))
    assert _reason(new_occurrence.value) == "TICKET_RESOLVED"
    repeat = await monitor.OpenTicket(_open(customer, f"{customer}.a.1", "r1"))
    assert repeat.ticket.status == pb.TICKET_STATUS_RESOLVED  # a repeat is still answered
    assert repeat.ticket.occurrences == resolved.ticket.occurrences == 1  # and counts nothing

    events = await _events(jetstream, first.ticket_id)
    assert events == [
        (f"{first.ticket_id}.opened", "OPEN"),
        (f"{first.ticket_id}.assigned.1", "ASSIGNED"),
        (f"{first.ticket_id}.resolved", "RESOLVED"),
    ]


async def test_pages_follow_each_other(monitor: Stub, staff: Stub, unique: str) -> None:
    customer = f"c-{unique}"
    opened = [
        (await monitor.OpenTicket(_open(customer, f"{customer}.fp{n}.1", "r"))).ticket.ticket_id
        for n in range(5)
    ]
    seen: list[str] = []
    token = ""
    while True:
        page = await staff.ListTickets(
            pb.ListTicketsRequest(customer_id=customer, page_size=2, page_token=token)
        )
        seen += [t.ticket_id for t in page.tickets]
        token = page.next_page_token
        if not token:
            break
    assert seen == opened


async def test_bad_requests_name_their_fields_and_unsigned_calls_are_refused(
    monitor: Stub, support_service: RunningService, unique: str
) -> None:
    request = _open(f"c-{unique}", "bad key with spaces", "r1", code="lower")
    request.ClearField("occur_time")
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await monitor.OpenTicket(request)
    bad = error_details_pb2.BadRequest()
    assert details_of(invalid.value)[0].Unpack(bad)
    assert [v.field for v in bad.field_violations] == ["ticket_key", "error_code", "occur_time"]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{support_service.port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as unsigned:
            await pb_grpc.SupportServiceStub(channel).GetTicket(pb.GetTicketRequest(ticket_id="x"))
    assert unsigned.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def _events(js: JetStreamContext, ticket_id: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    subscription = await js.subscribe("acme.support.v1.ticket.>", ordered_consumer=True)
    try:
        while True:
            msg = await subscription.next_msg(timeout=2)
            body = json.loads(msg.data)
            if body["ticketId"] == ticket_id:
                found.append((msg.headers["ce-id"] if msg.headers else "", body["status"]))
            if msg.metadata.num_pending == 0:
                return found
    finally:
        await subscription.unsubscribe()
