"""How one browsing event changes a customer's profile: its scores, then the decision.

Pure: the caller reads the profile and the consent and counts the event in it
(`count_event`, or `apply_event` for a new record); the store writes the result by
compare-and-set, so that concurrent events of one customer are applied one after the
other and a recommendation is decided once, and each event once, forever (store.py).
"""

from dataclasses import dataclass
from datetime import datetime

from services.marketing import catalogue, scoring
from services.marketing.records import ContactRecord, ProfileRecord, notification_id
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
    """The profile after `event`, as a new record. An event named in `applied` (by a profile
    written before the markers of store.py) was applied before: it changes nothing (same
    record)."""
    if event.event_id in profile.applied:
        return profile
    changed = profile.model_copy(deep=True)
    count_event(changed, event, consented=consented, rules=rules)
    return changed


def count_event(
    profile: ProfileRecord, event: BrowsingEvent, *, consented: bool, rules: Rules
) -> None:
    """Count `event` in `profile`, in place: its scores, the decision, maybe a contact."""
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
    if decision is Decision.RECOMMENDED:
        profile.contacts += 1
        profile.last_contact = ContactRecord(
            notification_id=notification_id(profile.customer_id, profile.contacts),
            trigger_event_id=event.event_id,
            at=event.at,
        )
    profile.as_of = scores.as_of
    profile.categories = dict(scores.categories)
    profile.brands = dict(scores.brands)
    profile.events_applied += 1
    profile.last_decision = decision
