"""What the support service stores, as JSON in its bucket, and how it reads out. Times are UTC."""

import secrets
import time
from datetime import UTC, datetime
from enum import StrEnum

from acme.support.v1 import support_pb2 as pb
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, Field

from accord.exactly_once import StepRecord
from accord.timestamps import timestamp


class Status(StrEnum):
    OPEN = "OPEN"
    ASSIGNED = "ASSIGNED"
    RESOLVED = "RESOLVED"


class Opening(BaseModel):
    """What OpenTicket asks for, besides the key and the occurrence: what the ticket keeps."""

    customer_id: str
    title: str
    description: str
    application: str
    error_code: str
    fingerprint: str
    suggested_fix: str


class TicketRecord(Opening, StepRecord):
    """A ticket; its `pending` map names the occurrences being counted (tickets.py)."""

    ticket_id: str
    ticket_key: str
    status: Status = Status.OPEN
    occurrences: int = 0
    # Before the markers: the last occurrence ids counted. Read, never written.
    recent_occurrences: list[str] = Field(default_factory=list)
    first_occurrence_id: str | None = None  # the occurrence that opened the ticket
    assignee: str = ""
    assignments: int = 0  # how many times it changed hands: the n of `<id>.assigned.<n>`
    resolution: str = ""
    resolved_at: datetime | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    created_at: datetime
    updated_at: datetime


def now() -> datetime:
    return datetime.now(UTC)


def new_ticket_id() -> str:
    # Milliseconds since the epoch (12 hex digits), then 32 random bits: ids sort in the order
    # tickets were opened, and ids made in the same millisecond still differ.
    return f"tk{time.time_ns() // 1_000_000:012x}{secrets.token_hex(4)}"


def _timestamp(moment: datetime | None) -> Timestamp | None:
    return timestamp(moment) if moment is not None else None


def ticket_pb(ticket: TicketRecord) -> pb.Ticket:
    return pb.Ticket(
        ticket_id=ticket.ticket_id,
        ticket_key=ticket.ticket_key,
        customer_id=ticket.customer_id,
        status=pb.TicketStatus.Value(f"TICKET_STATUS_{ticket.status.value}"),
        title=ticket.title,
        description=ticket.description,
        application=ticket.application,
        error_code=ticket.error_code,
        fingerprint=ticket.fingerprint,
        suggested_fix=ticket.suggested_fix,
        occurrences=ticket.occurrences,
        assignee=ticket.assignee,
        resolution=ticket.resolution,
        first_seen_time=_timestamp(ticket.first_seen),
        last_seen_time=_timestamp(ticket.last_seen),
        create_time=_timestamp(ticket.created_at),
        update_time=_timestamp(ticket.updated_at),
    )
