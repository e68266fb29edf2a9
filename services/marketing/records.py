"""What the marketing service stores, as JSON in its key-value buckets. Times are UTC."""

import enum
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from accord.exactly_once import StepRecord
from services.marketing.rules import Decision
from services.marketing.scoring import Scores

# A contact still PENDING this long after it was decided was given up: the settle time and
# every retry the consumer's contract allows (backoff 1 s to 2 min, about 3 minutes in all)
# are long over, so its event was dead-lettered. It stops counting for the cool-down, or a
# failed send would silence the customer for the whole week. Its event, replayed later,
# sends nothing: a newer contact no longer names it.
PENDING_GIVEN_UP = timedelta(hours=1)


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

    def counts_for_cool_down(self, at: datetime) -> bool:
        """Whether this contact starts a cool-down, as seen at `at`: sent, or still on its
        way; not cancelled by an opt-out, nor given up."""
        if self.status is ContactStatus.PENDING:
            return at - self.at < PENDING_GIVEN_UP
        return self.status is ContactStatus.SENT


class ProfileRecord(StepRecord):
    """A customer's profile; its `pending` map names the events being applied (store.py)."""

    customer_id: str
    as_of: datetime | None = None
    categories: dict[str, float] = Field(default_factory=dict)
    brands: dict[str, float] = Field(default_factory=dict)
    # Before the markers: the ids of the last events applied. Read, never written.
    applied: list[str] = Field(default_factory=list)
    events_applied: int = 0
    last_decision: Decision | None = None
    contacts: int = 0  # recommendations decided so far: numbers the notification ids
    last_contact: ContactRecord | None = None

    @property
    def scores(self) -> Scores:
        return Scores(self.as_of, self.categories, self.brands)

    def cool_down_start(self, at: datetime) -> datetime | None:
        """When the cool-down in force at `at` started, if one is."""
        contact = self.last_contact
        return contact.at if contact is not None and contact.counts_for_cool_down(at) else None


class ConsentRecord(BaseModel):
    customer_id: str
    opted_in: bool
    updated_at: datetime


def notification_id(customer_id: str, number: int) -> str:
    """`marketing.<customerId>.<n>` for the customer's n-th recommendation: the idempotency
    key notifications keeps, so a retried send of the same recommendation sends nothing."""
    return f"marketing.{customer_id}.{number}"
