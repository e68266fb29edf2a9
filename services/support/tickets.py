"""Tickets in the `support_tickets` bucket: opened once per key, changed by compare-and-set.

Keys:
- `key.<sha256(ticketKey)>`: the ticket id a ticket key opened. Claimed with `create`
  before the ticket is written, so concurrent OpenTicket calls with one key agree on one
  id; a call interrupted after the claim is finished by its retry, which writes the same
  ticket (created from the request, `create` again) under the claimed id.
- `ticket.<ticketId>`: the TicketRecord (JSON).
- `occurrence.<ticketId>.<sha256(occurrenceId)>`: the marker of an occurrence the ticket
  counted (empty), never deleted. An occurrence is counted once, forever, as a step of
  `accord.exactly_once`: the count (and first/last seen) and the ticket's `pending` map
  change in one compare-and-set, then the marker is created, then the occurrence leaves
  `pending`. A retried OpenTicket, however many occurrences later, finds its occurrence
  pending or marked and counts nothing. The ticket holds only the occurrences in flight,
  never a history. (Tickets written before the markers kept their last 256 occurrences in
  `recent_occurrences`; one named there counts as counted.)
- `customer.<customerId>.<ticketId>`: the per-customer index (empty), for listing.
"""

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from accord import kvjson
from accord.exactly_once import ExactlyOnce, RecordNotFound, Step
from accord.kv import Entry, select_page
from services.support import rules
from services.support.events import TicketEvents
from services.support.records import Opening, Status, TicketRecord, new_ticket_id, now

BUCKET = "support_tickets"


def occurrence_key(ticket_id: str, occurrence_id: str) -> str:
    # Hashed as ticket keys are: an occurrence id may hold ':', which no key may.
    return f"occurrence.{ticket_id}.{hashlib.sha256(occurrence_id.encode()).hexdigest()}"


class TicketNotFound(Exception):
    pass


class KeyReused(Exception):
    """A ticket key already opened a ticket for another customer."""


@dataclass(frozen=True)
class Filter:
    customer_id: str = ""  # empty: every customer's
    status: Status | None = None
    assignee: str = ""


@dataclass(frozen=True, slots=True)
class Tickets:
    kv: KeyValue
    events: TicketEvents

    async def open(
        self, ticket_key: str, opening: Opening, occurrence_id: str, occurred_at: datetime
    ) -> tuple[TicketRecord, bool]:
        """The ticket of `ticket_key` with the occurrence counted, and whether this
        occurrence is the one that opened it. Raises rules.TicketClosed for a new
        occurrence on a resolved ticket."""
        claim = f"key.{hashlib.sha256(ticket_key.encode()).hexdigest()}"
        # A retry, or a concurrent call with the same key, finds the claim: the first counts.
        with contextlib.suppress(KeyWrongLastSequenceError):
            await self.kv.create(claim, new_ticket_id().encode())
        ticket_id = ((await self.kv.get(claim)).value or b"").decode()
        moment = now()
        record = TicketRecord(
            ticket_id=ticket_id,
            ticket_key=ticket_key,
            created_at=moment,
            updated_at=moment,
            **opening.model_dump(),
        )
        with contextlib.suppress(KeyWrongLastSequenceError):
            await self.kv.create(f"ticket.{ticket_id}", record.model_dump_json().encode())

        def same_customer(ticket: TicketRecord) -> None:
            if ticket.customer_id != opening.customer_id:
                raise KeyReused(ticket_key)

        def count(ticket: TicketRecord) -> None:
            same_customer(ticket)
            rules.count_occurrence(ticket, occurrence_id, occurred_at)
            ticket.updated_at = now()

        async def not_counted_before_markers(ticket: TicketRecord) -> bool:
            return occurrence_id not in ticket.recent_occurrences

        step = Step(occurrence_id, occurrence_key(ticket_id, occurrence_id))
        try:
            ticket, _ = await self._occurrences.apply(
                f"ticket.{ticket_id}", step, count, not_counted_before_markers
            )
        except RecordNotFound as missing:
            raise TicketNotFound(ticket_id) from missing
        same_customer(ticket)  # also when counted before: another customer's key says nothing
        # Indexed for its customer only once it is known to be theirs (a retry writes an
        # index entry an interrupted call did not).
        with contextlib.suppress(KeyWrongLastSequenceError):
            await self.kv.create(f"customer.{ticket.customer_id}.{ticket_id}", b"")
        opened = ticket.first_occurrence_id == occurrence_id
        if opened:
            await self.events.opened(ticket)  # again on a retry of the opening call: repairs
        return ticket, opened

    @property
    def _occurrences(self) -> ExactlyOnce[TicketRecord]:
        """Occurrences counted on ticket records, with their markers beside them."""
        return ExactlyOnce(self.kv, self.kv, TicketRecord)

    async def get(self, ticket_id: str) -> TicketRecord:
        return (await self._read(ticket_id))[0]

    async def assign(self, ticket_id: str, assignee: str) -> TicketRecord:
        ticket = await self._change(ticket_id, lambda t: rules.assign(t, assignee))
        await self.events.assigned(ticket)  # also when unchanged: repairs a lost publish
        return ticket

    async def resolve(self, ticket_id: str, resolution: str) -> TicketRecord:
        ticket = await self._change(ticket_id, lambda t: rules.resolve(t, resolution, now()))
        await self.events.resolved(ticket)
        return ticket

    async def list(
        self, where: Filter, page_size: int, after: int
    ) -> tuple[list[TicketRecord], int | None]:
        """One page of tickets matching `where`, oldest first, read from the per-customer
        index (written once per ticket) after stream sequence `after`; and where the next
        page starts (None: the end)."""

        async def matching(entry: Entry) -> TicketRecord | None:
            try:
                ticket = await self.get(entry.key.rsplit(".", 1)[1])
            except TicketNotFound:
                return None
            if where.customer_id and ticket.customer_id != where.customer_id:
                return None  # an index entry is no proof of ownership: the ticket is
            if where.status is not None and ticket.status is not where.status:
                return None
            if where.assignee and ticket.assignee != where.assignee:
                return None
            return ticket

        pattern = f"customer.{where.customer_id or '*'}.*"
        return await select_page(self.kv, pattern, after, page_size, matching)

    async def _read(self, ticket_id: str) -> tuple[TicketRecord, int]:
        found = await kvjson.read(self.kv, f"ticket.{ticket_id}", TicketRecord)
        if found is None:
            raise TicketNotFound(ticket_id)
        return found

    async def _change(self, ticket_id: str, change: Callable[[TicketRecord], bool]) -> TicketRecord:
        """Apply a rule by compare-and-set; a rule that changes nothing writes nothing."""
        while True:
            ticket, revision = await self._read(ticket_id)
            if not change(ticket):  # may raise (TicketClosed): nothing is written then
                return ticket
            ticket.updated_at = now()
            # Lost to another call that changed the ticket: decide again on the new state.
            if await kvjson.replace(self.kv, f"ticket.{ticket_id}", ticket, revision):
                return ticket
