"""What the marketing service stores, as JSON in its key-value buckets. Times are UTC."""

import enum
from datetime import datetime

from pydantic import BaseModel

from services.marketing.rules import Decision
from services.marketing.scoring import Scores

# How many applied event ids a profile remembers, so that a redelivered event is applied
# once. A redelivery comes within the consumer's ack wait and backoff (minutes), long before
# the same customer sends this many more events; a stream sent again later is stopped
# earlier, by the stream's duplicate window (1 hour).
APPLIED_MEMORY = 256


class ContactStatus(enum.StrEnum):
    PENDING = "PENDING"  # decided, not yet handed to notifications
    SENT = "SENT"
    CANCELLED = "CANCELLED"  # the customer opted out before it went


class ContactRecord(BaseModel):
    """The last recommendation decided for a customer."""

    notification_id: str
    trigger_event_id: str
    at: datetime  # when it was decided (the triggering event's time): the cool-down's start
    status: ContactStatus = ContactStatus.PENDING
    skus: list[str] = []
    emailed: bool = False

    @property
    def counts_for_cool_down(self) -> bool:
        return self.status is not ContactStatus.CANCELLED


class ProfileRecord(BaseModel):
    customer_id: str
    as_of: datetime | None = None
    categories: dict[str, float] = {}
    brands: dict[str, float] = {}
    applied: list[str] = []  # the ids of the events applied most recently, newest last
    events_applied: int = 0
    last_decision: Decision | None = None
    contacts: int = 0  # recommendations decided so far: numbers the notification ids
    last_contact: ContactRecord | None = None

    @property
    def scores(self) -> Scores:
        return Scores(self.as_of, self.categories, self.brands)

    @property
    def cool_down_start(self) -> datetime | None:
        contact = self.last_contact
        return contact.at if contact is not None and contact.counts_for_cool_down else None


class ConsentRecord(BaseModel):
    customer_id: str
    opted_in: bool
    updated_at: datetime


def notification_id(customer_id: str, number: int) -> str:
    """`marketing.<customerId>.<n>` for the customer's n-th recommendation: the idempotency
    key notifications keeps, so a retried send of the same recommendation sends nothing."""
    return f"marketing.{customer_id}.{number}"
