"""When to recommend, and what: the threshold, the cool-down and the ranking.

After each browsing event the service decides, in this order:
1. BELOW_THRESHOLD: the customer's strongest score (any category or brand, decayed to the
   event's time) is below the threshold. Rounded to 6 decimals first, so that a score
   that is exactly the threshold on paper (10 views) is not missed by float rounding.
2. NO_CONSENT: the customer has not opted in (never asked means no).
3. COOLING_DOWN: a recommendation was decided less than the cool-down before the event
   (one sent, or still pending; a cancelled one does not count, since nothing was sent,
   nor one pending for an hour, which was given up: records.PENDING_GIVEN_UP).
4. RECOMMENDED: otherwise. The recommendation is recorded first (its cool-down starts),
   then sent; consent is read again from the store right before sending.

The email lists the top N products of the catalogue. A product's score is its category's
score plus its brand's score, so a product of the customer's favourite category and
favourite brand ranks first; products that score nothing are left out; ties go to the
lower SKU, so the ranking is the same on every run.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.marketing.catalogue import Product
from services.marketing.scoring import Scores

DECIMALS = 6


class Decision(enum.StrEnum):
    BELOW_THRESHOLD = "BELOW_THRESHOLD"
    NO_CONSENT = "NO_CONSENT"
    COOLING_DOWN = "COOLING_DOWN"
    RECOMMENDED = "RECOMMENDED"


@dataclass(frozen=True)
class Rules:
    threshold: float
    half_life: timedelta
    cool_down: timedelta
    top_n: int


def reaches_threshold(scores: Scores, threshold: float) -> bool:
    return round(scores.strongest, DECIMALS) >= threshold


def cooling_down(last_contact_time: datetime | None, at: datetime, cool_down: timedelta) -> bool:
    """Whether `at` falls within the cool-down of the last recommendation that counts."""
    return last_contact_time is not None and at < last_contact_time + cool_down


def decide(
    scores: Scores,
    at: datetime,
    *,
    consented: bool,
    last_contact_time: datetime | None,
    rules: Rules,
) -> Decision:
    """What to do after an event at `at` left the customer's profile at `scores`."""
    if not reaches_threshold(scores, rules.threshold):
        return Decision.BELOW_THRESHOLD
    if not consented:
        return Decision.NO_CONSENT
    if cooling_down(last_contact_time, at, rules.cool_down):
        return Decision.COOLING_DOWN
    return Decision.RECOMMENDED


def product_score(product: Product, scores: Scores) -> float:
    category = scores.categories.get(product.category, 0.0)
    brand = scores.brands.get(product.brand, 0.0)
    return round(category + brand, DECIMALS)


def rank(products: Iterable[Product], scores: Scores, top_n: int) -> list[Product]:
    """The `top_n` products that score most for the customer, best first."""
    scored = [(product_score(p, scores), p) for p in products]
    ranked = sorted(
        ((score, p) for score, p in scored if score > 0), key=lambda sp: (-sp[0], sp[1].sku)
    )
    return [product for _, product in ranked[:top_n]]
