"""The marketing rules alone: weights, decay, threshold, cool-down and ranking."""

from datetime import UTC, datetime, timedelta

import pytest

from services.marketing import catalogue
from services.marketing.profile import BrowsingEvent, apply_event
from services.marketing.records import ContactRecord, ContactStatus, ProfileRecord
from services.marketing.rules import Decision, Rules, decide, rank
from services.marketing.scoring import WEIGHTS, Kind, Scores, add, decay_factor, decayed_to

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
RULES = Rules(threshold=10.0, half_life=DAY, cool_down=7 * DAY, top_n=3)
HALF_LIFE = DAY.total_seconds()


def _event(
    n: int,
    kind: Kind = Kind.CLICK,
    *,
    at: datetime = T0,
    category: str | None = None,
) -> BrowsingEvent:
    """Event n of alice: a click on the trail shoe unless told otherwise."""
    return BrowsingEvent(
        event_id=f"alice.e{n}",
        customer_id="alice",
        kind=kind,
        at=at,
        sku=None if kind is Kind.SEARCH else "SKU-TRAIL-SHOE",
        category=category,
    )


def _apply(profile: ProfileRecord, *events: BrowsingEvent, consented: bool = True) -> ProfileRecord:
    for event in events:
        profile = apply_event(profile, event, consented=consented, rules=RULES)
    return profile


def test_a_click_weighs_three_views_and_a_search_two() -> None:
    assert (WEIGHTS[Kind.VIEW], WEIGHTS[Kind.SEARCH], WEIGHTS[Kind.CLICK]) == (1.0, 2.0, 3.0)
    profile = _apply(
        ProfileRecord(customer_id="alice"),
        _event(1, Kind.VIEW),
        _event(2, Kind.CLICK),
        _event(3, Kind.SEARCH, category="shoes"),
        _event(4, Kind.SEARCH),  # no category: scores nothing
    )
    assert profile.categories == {"shoes": 6.0}
    assert profile.brands == {"acme-outdoor": 4.0}  # searches score no brand
    assert profile.events_applied == 4


def test_scores_halve_every_half_life() -> None:
    assert decay_factor(HALF_LIFE, HALF_LIFE) == 0.5
    assert decay_factor(-5, HALF_LIFE) == 1.0  # never grows
    scores = add(Scores(), T0, 8.0, HALF_LIFE, category="shoes")
    assert decayed_to(scores, T0 + 2 * DAY, HALF_LIFE).categories == {"shoes": 2.0}
    assert decayed_to(scores, T0 - DAY, HALF_LIFE) is scores


def test_a_late_event_counts_as_if_applied_in_time_order() -> None:
    early, late = _event(1, at=T0), _event(2, at=T0 + DAY)
    in_order = _apply(ProfileRecord(customer_id="alice"), early, late)
    reversed_ = _apply(ProfileRecord(customer_id="alice"), late, early)
    assert in_order.categories == pytest.approx({"shoes": 4.5})
    assert reversed_.categories == pytest.approx(in_order.categories)
    assert reversed_.as_of == in_order.as_of == T0 + DAY


def test_an_event_applied_before_changes_nothing() -> None:
    # Counted once, forever, by the markers of store.py; a profile written before them
    # names the events it counted in `applied`.
    once = _apply(ProfileRecord(customer_id="alice"), _event(1))
    once.applied = ["alice.e1"]
    assert apply_event(once, _event(1), consented=True, rules=RULES) is once


def test_the_threshold_decides_on_the_strongest_category_or_brand() -> None:
    just_below = Scores(T0, {"shoes": 9.999}, {"acme-outdoor": 9.0})
    exactly = Scores(T0, {"shoes": 9.0}, {"acme-outdoor": 9.9999999999})  # 10 on paper
    for scores, decision in (
        (just_below, Decision.BELOW_THRESHOLD),
        (exactly, Decision.RECOMMENDED),
    ):
        assert decide(scores, T0, consented=True, last_contact_time=None, rules=RULES) is decision


def test_no_consent_and_the_cool_down_stop_a_recommendation() -> None:
    strong = Scores(T0, {"shoes": 12.0}, {})
    assert decide(strong, T0, consented=False, last_contact_time=None, rules=RULES) is (
        Decision.NO_CONSENT
    )
    week_ago = T0 - 7 * DAY
    inside = decide(strong, T0, consented=True, last_contact_time=week_ago + DAY, rules=RULES)
    after = decide(strong, T0, consented=True, last_contact_time=week_ago, rules=RULES)
    assert (inside, after) == (Decision.COOLING_DOWN, Decision.RECOMMENDED)


def test_crossing_the_threshold_records_one_pending_contact_then_cools_down() -> None:
    clicks = [_event(n) for n in range(1, 6)]  # 3 points each: the 4th reaches 12
    profile = _apply(ProfileRecord(customer_id="alice"), *clicks[:3])
    assert profile.last_decision is Decision.BELOW_THRESHOLD
    assert profile.last_contact is None
    profile = _apply(profile, clicks[3])
    assert profile.last_decision is Decision.RECOMMENDED
    assert profile.last_contact == ContactRecord(
        notification_id="marketing.alice.1", trigger_event_id="alice.e4", at=T0
    )
    profile = _apply(profile, clicks[4])
    assert profile.last_decision is Decision.COOLING_DOWN
    assert profile.contacts == 1


def test_a_cancelled_contact_does_not_start_the_cool_down() -> None:
    profile = _apply(ProfileRecord(customer_id="alice"), *[_event(n) for n in range(1, 5)])
    assert profile.last_contact is not None
    cancelled = profile.last_contact.model_copy(update={"status": ContactStatus.CANCELLED})
    profile = profile.model_copy(update={"last_contact": cancelled})
    profile = _apply(profile, _event(5))
    assert profile.last_decision is Decision.RECOMMENDED
    assert profile.last_contact is not None
    assert profile.last_contact.notification_id == "marketing.alice.2"


def test_a_contact_pending_for_an_hour_was_given_up_and_stops_the_cool_down() -> None:
    profile = _apply(ProfileRecord(customer_id="alice"), *[_event(n) for n in range(1, 5)])
    assert profile.last_contact is not None
    assert profile.last_contact.status is ContactStatus.PENDING
    profile = _apply(profile, _event(5, at=T0 + timedelta(minutes=59)))
    assert profile.last_decision is Decision.COOLING_DOWN  # still on its way
    profile = _apply(profile, _event(6, at=T0 + timedelta(hours=1)))
    assert profile.last_decision is Decision.RECOMMENDED
    assert profile.last_contact is not None
    assert profile.last_contact.notification_id == "marketing.alice.2"


def test_without_consent_nothing_is_recorded_to_send() -> None:
    profile = _apply(
        ProfileRecord(customer_id="alice"), *[_event(n) for n in range(1, 5)], consented=False
    )
    assert profile.last_decision is Decision.NO_CONSENT
    assert profile.last_contact is None


def test_ranking_adds_category_and_brand_and_breaks_ties_by_sku() -> None:
    scores = Scores(T0, {"shoes": 5.0, "jackets": 1.0}, {"acme-outdoor": 2.0})
    ranked = [p.sku for p in rank(catalogue.PRODUCTS, scores, 4)]
    # shoes + acme-outdoor (7): hiking boot and trail shoe, by SKU; then the other shoes (5).
    assert ranked == ["SKU-HIKING-BOOT", "SKU-TRAIL-SHOE", "SKU-ROAD-SHOE", "SKU-SANDAL"]
    assert [p.sku for p in rank(catalogue.PRODUCTS, scores, 2)] == ranked[:2]


def test_products_that_score_nothing_are_never_listed() -> None:
    scores = Scores(T0, {"gear": 1.0}, {})
    assert [p.sku for p in rank(catalogue.PRODUCTS, scores, 5)] == ["SKU-BOTTLE", "SKU-HEADLAMP"]
    assert rank(catalogue.PRODUCTS, Scores(), 5) == []
