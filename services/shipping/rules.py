"""The reference carrier rule: small parcels go by post, the rest by freight.

Deterministic, so that a redelivered event schedules the very same shipment: the carrier
follows from the number of units (all lines together), and the estimated arrival from the
moment the stock was reserved (the event's own time, not the clock of the handler):

- up to 3 units: "acme-post", arriving 2 days after the reservation;
- more: "acme-freight", arriving 5 days after it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

POST_MAX_UNITS = 3


@dataclass(frozen=True)
class Plan:
    carrier: str
    estimated_arrival: datetime


def plan(units: int, reserved_at: datetime) -> Plan:
    if units <= POST_MAX_UNITS:
        return Plan("acme-post", reserved_at + timedelta(days=2))
    return Plan("acme-freight", reserved_at + timedelta(days=5))
