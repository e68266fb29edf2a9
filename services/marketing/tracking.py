"""TrackEvents' rules: which browsing events are well formed, and how they are stored.

A call is all or nothing. Every message is checked as it arrives, and the first bad one
ends the call with INVALID_ARGUMENT naming `events[<index>].<field>`, before anything is
stored; only when the client has closed a stream of good events are they published, in one
pipelined batch. Why not keep the good ones and skip the bad: the app then knows exactly
what happened (nothing), fixes the event and sends the same stream again, and since each
event's id comes from the app's `event_id`, nothing is counted twice even if a first
attempt had been stored after all. A stream is capped (`max_events_per_call`) so that the
batch held in memory stays small.
"""

from dataclasses import dataclass
from datetime import datetime

from acme.marketing.v1 import marketing_pb2 as pb
from acme_events.marketing import Application
from acme_events.marketing.messages.json import BrowsingEventKind, BrowsingEventTrackedPayload

from accord.rpc_status import field_violation, invalid_argument
from accord.validation import Violations, id_violations
from services.marketing import catalogue
from services.marketing.profile import event_id

MAX_QUERY_LENGTH = 200

_KINDS = {
    pb.BROWSING_EVENT_KIND_VIEW: BrowsingEventKind.VIEW,
    pb.BROWSING_EVENT_KIND_CLICK: BrowsingEventKind.CLICK,
    pb.BROWSING_EVENT_KIND_SEARCH: BrowsingEventKind.SEARCH,
}


def violations(request: pb.TrackEventsRequest) -> Violations:
    """What is wrong with one browsing event, field by field (names without the index)."""
    found = id_violations("customer_id", request.customer_id)
    found += id_violations("event_id", request.event_id)
    kind = _KINDS.get(request.kind)
    if kind is None:
        found.append(field_violation("kind", "must be VIEW, CLICK or SEARCH"))
    elif kind is BrowsingEventKind.SEARCH:
        if not 1 <= len(request.query) <= MAX_QUERY_LENGTH:
            found.append(field_violation("query", "a search needs a query of 1 to 200 characters"))
        if request.sku:
            found.append(field_violation("sku", "must be empty for a search"))
        if request.category and request.category not in catalogue.CATEGORIES:
            known = ", ".join(sorted(catalogue.CATEGORIES))
            found.append(field_violation("category", f"must be empty or one of {known}"))
    else:
        if request.sku not in catalogue.BY_SKU:
            found.append(field_violation("sku", "must name a product of the catalogue"))
        if request.query:
            found.append(field_violation("query", "must be empty for a view or a click"))
        if request.category:
            found.append(field_violation("category", "must be empty for a view or a click"))
    return found


def check(index: int, request: pb.TrackEventsRequest) -> None:
    """Raise INVALID_ARGUMENT naming `events[index].<field>` for each thing wrong."""
    found = violations(request)
    if found:
        raise invalid_argument(
            [field_violation(f"events[{index}].{v.field}", v.description) for v in found]
        )


def payload(request: pb.TrackEventsRequest, received_at: datetime) -> BrowsingEventTrackedPayload:
    """The event as stored, for a request that passed `check`. Its time is when the service
    received it: apps' clocks are not trusted to order a customer's events."""
    tracked = BrowsingEventTrackedPayload(
        event_id=request.event_id,
        customer_id=request.customer_id,
        kind=_KINDS[request.kind],
        occurred_at=received_at,
    )
    if tracked.kind is BrowsingEventKind.SEARCH:
        tracked.query = request.query
        if request.category:
            tracked.category = request.category
    else:
        tracked.sku = request.sku
    return tracked


@dataclass(frozen=True)
class Tracked:
    accepted: int
    duplicates: int


async def publish(app: Application, events: list[BrowsingEventTrackedPayload]) -> Tracked:
    """Store the events, pipelined; an event stored before (same id) counts as a duplicate."""
    if not events:
        return Tracked(0, 0)
    ids = [event_id(e.customer_id, e.event_id) for e in events]
    published = await app.producer.send_browsing_event_tracked.many(events, event_ids=ids)
    return Tracked(len(published), sum(1 for p in published if p.duplicate))
