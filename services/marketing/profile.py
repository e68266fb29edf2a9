"""How one browsing event changes a customer's profile: its scores, then the decision.

Pure: the caller reads the profile and the consent, calls `apply_event`, and writes the
result by compare-and-set, so that concurrent events of one customer are applied one
after the other and a recommendation is decided once.
"""

from dataclasses import dataclass
from datetime import datetime

from services.marketing import catalogue, scoring
from services.marketing.records import (
    APPLIED_MEMORY,
    ContactRecord,
    ProfileRecord,
    notification_id,
)
from services.marketing.rules import Decision, Rules, decide
from services.marketing.scoring import Kind


@dataclass(frozen=True)
class BrowsingEvent:
    event_id: str  # as stored on JetStream: `<customerId>.<eventId>`
    customer_id: str
    kind: Kind
    at: datetime
    sku: str | None = None
    category: str | None = None  # a search's category


def event_id(customer_id: str, app_event_id: str) -> str:
    """The JetStream id of a browsing event: the app's id, scoped to its customer."""
    return f"{customer_id}.{app_event_id}"


def scored(event: BrowsingEvent, scores: scoring.Scores, rules: Rules) -> scoring.Scores:
    """The scores with the event's weight added to what it names (see scoring)."""
    category: str | None = None
    brand: str | None = None
    if event.kind is Kind.SEARCH:
        category = event.category if event.category in catalogue.CATEGORIES else None
    elif event.sku in catalogue.BY_SKU:
        product = catalogue.BY_SKU[event.sku]
        category, brand = product.category, product.brand
    if category is None and brand is None:
        return scores  # nothing to score: a search without a category
    half_life = rules.half_life.total_seconds()
    weight = scoring.WEIGHTS[event.kind]
    return scoring.add(scores, event.at, weight, half_life, category=category, brand=brand)


def apply_event(
    profile: ProfileRecord, event: BrowsingEvent, *, consented: bool, rules: Rules
) -> ProfileRecord:
    """The profile after `event`. An event applied before changes nothing (same record)."""
    if event.event_id in profile.applied:
        return profile
    scores = scored(event, profile.scores, rules)
    # The threshold is checked on the scores as of the event, so that a late event (one
    # older than the profile) is judged by the profile's time, when it counts least.
    as_of = scoring.decayed_to(scores, event.at, rules.half_life.total_seconds())
    decision = decide(
        as_of,
        event.at,
        consented=consented,
        last_contact_time=profile.cool_down_start(event.at),
        rules=rules,
    )
    contact = profile.last_contact
    contacts = profile.contacts
    if decision is Decision.RECOMMENDED:
        contacts += 1
        contact = ContactRecord(
            notification_id=notification_id(profile.customer_id, contacts),
            trigger_event_id=event.event_id,
            at=event.at,
        )
    return profile.model_copy(
        update={
            "as_of": scores.as_of,
            "categories": dict(scores.categories),
            "brands": dict(scores.brands),
            "applied": [*profile.applied, event.event_id][-APPLIED_MEMORY:],
            "events_applied": profile.events_applied + 1,
            "last_decision": decision,
            "contacts": contacts,
            "last_contact": contact,
        }
    )
