"""An occurrence is counted on its ticket once, however late OpenTicket is retried.

Between an occurrence's first report and its retry, the ticket counts more occurrences than
a bounded memory of recent ids (the ticket kept 256) could hold.
"""

from __future__ import annotations

import hashlib
import json

import grpc
import pytest
from acme.support.v1 import support_pb2 as pb
from nats.js import JetStreamContext

from services.support.tickets import BUCKET
from tests.integration.support.conftest import Stub
from tests.integration.support.test_tickets import _open, _reason

pytestmark = pytest.mark.integration

LATER_OCCURRENCES = 257  # one more than the ticket's old memory of occurrence ids


async def test_a_retry_after_many_later_occurrences_counts_nothing(
    monitor: Stub, unique: str
) -> None:
    customer, key = f"c-{unique}", f"c-{unique}.fp.1"
    first = await monitor.OpenTicket(_open(customer, key, "r:0"))
    for n in range(1, LATER_OCCURRENCES + 1):
        await monitor.OpenTicket(_open(customer, key, f"r:{n}"))

    again = await monitor.OpenTicket(_open(customer, key, "r:0"))  # the first, retried

    assert again.opened  # still the occurrence that opened it
    assert again.ticket.ticket_id == first.ticket.ticket_id
    assert again.ticket.occurrences == LATER_OCCURRENCES + 1, "counted twice"


async def test_a_ticket_written_before_the_markers_keeps_its_counted_occurrences(
    monitor: Stub, jetstream: JetStreamContext, unique: str
) -> None:
    """Its `recent_occurrences` still say which occurrences it counted; read, not grown."""
    customer, key, ticket_id = f"c-{unique}", f"c-{unique}.fp.1", f"tk{unique}"
    kv = await jetstream.key_value(BUCKET)
    request = _open(customer, key, "r1")
    old = {
        "ticket_id": ticket_id,
        "ticket_key": key,
        "customer_id": customer,
        "title": request.title,
        "description": request.description,
        "application": request.application,
        "error_code": request.error_code,
        "fingerprint": request.fingerprint,
        "suggested_fix": request.suggested_fix,
        "status": "OPEN",
        "occurrences": 1,
        "recent_occurrences": ["r1"],
        "first_occurrence_id": "r1",
        "created_at": "2026-11-27T08:00:00Z",
        "updated_at": "2026-11-27T08:00:00Z",
    }
    await kv.create(f"key.{hashlib.sha256(key.encode()).hexdigest()}", ticket_id.encode())
    await kv.create(f"ticket.{ticket_id}", json.dumps(old).encode())

    repeat = await monitor.OpenTicket(request)
    assert (repeat.opened, repeat.ticket.occurrences) == (True, 1)
    await monitor.OpenTicket(_open(customer, key, "r2"))
    newer = await monitor.OpenTicket(_open(customer, key, "r2"))
    assert (newer.opened, newer.ticket.occurrences) == (False, 2)
    assert newer.ticket.status == pb.TICKET_STATUS_OPEN
    stored = json.loads((await kv.get(f"ticket.{ticket_id}")).value or b"")
    assert stored["recent_occurrences"] == ["r1"]


@pytest.mark.parametrize("occurrence", ["r1", "r2"], ids=["counted", "new"])
async def test_another_customer_s_report_under_the_same_key_is_refused(
    monitor: Stub, staff: Stub, unique: str, occurrence: str
) -> None:
    """A counted occurrence answers with the ticket: only to the customer whose it is; and
    the refused report does not list the ticket among the other customer's."""
    owner, other, key = f"c-{unique}", f"other-{unique}", f"c-{unique}.fp.1"
    opened = await monitor.OpenTicket(_open(owner, key, "r1"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await monitor.OpenTicket(_open(other, key, occurrence))
    assert (refused.value.code(), _reason(refused.value)) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "TICKET_KEY_REUSED",
    )
    theirs = await staff.ListTickets(pb.ListTicketsRequest(customer_id=other))
    assert list(theirs.tickets) == []
    again = await monitor.OpenTicket(_open(owner, key, "r1"))
    assert again.ticket.occurrences == opened.ticket.occurrences == 1
