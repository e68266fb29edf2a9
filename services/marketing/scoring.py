"""Preference scores: what each browsing event adds, and how scores fade with time.

A customer's interest in a category or a brand is a score. Each browsing event adds its
kind's weight, and every score halves once per half-life (exponential decay), so what a
customer did last week counts half as much as what they did today (with a half-life of
one week) and an old burst of browsing fades away by itself.

The weights say how much intent each kind shows:
- a view (weight 1) is the weakest signal: a product went past on the screen;
- a search (weight 2) says what the customer is looking for, in their own words;
- a click (weight 3) is a deliberate step towards one product: its options, its reviews.
A view or a click scores the product's category and its brand; a search scores only the
category it was made in, if any (a free-text query names no product).

Scores are kept as of a time (`as_of`). Applying an event at time `at`:
- at or after `as_of`: every score is first decayed to `at`, then the weight is added;
- before `as_of` (events can arrive out of order): the weight is added decayed from `at`
  to `as_of`.
Both give the same result as applying the events in time order, so the profile does not
depend on the order in which the consumer handles them.
"""

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

# Scores below this are dropped: after about 13 half-lives one event's weight is gone,
# and the profile stays small.
FORGET_BELOW = 0.001


class Kind(enum.StrEnum):
    VIEW = "VIEW"
    CLICK = "CLICK"
    SEARCH = "SEARCH"


WEIGHTS: Mapping[Kind, float] = {Kind.VIEW: 1.0, Kind.CLICK: 3.0, Kind.SEARCH: 2.0}


@dataclass(frozen=True)
class Scores:
    """Scores per category and per brand, as of `as_of` (None: nothing scored yet)."""

    as_of: datetime | None = None
    categories: Mapping[str, float] = field(default_factory=dict)
    brands: Mapping[str, float] = field(default_factory=dict)

    @property
    def strongest(self) -> float:
        """The highest score of any category or brand; 0 for an empty profile."""
        return max([*self.categories.values(), *self.brands.values()], default=0.0)


def decay_factor(elapsed_seconds: float, half_life_seconds: float) -> float:
    """How much of a score is left after `elapsed_seconds`: 1/2 per half-life."""
    if elapsed_seconds <= 0:
        return 1.0
    return math.pow(0.5, elapsed_seconds / half_life_seconds)


def _scaled(scores: Mapping[str, float], factor: float) -> dict[str, float]:
    scaled = {name: score * factor for name, score in scores.items()}
    return {name: score for name, score in scaled.items() if score >= FORGET_BELOW}


def decayed_to(scores: Scores, when: datetime, half_life_seconds: float) -> Scores:
    """The scores as of `when`; never earlier than they are (scores do not grow back)."""
    if scores.as_of is None or when <= scores.as_of:
        return scores
    factor = decay_factor((when - scores.as_of).total_seconds(), half_life_seconds)
    return Scores(when, _scaled(scores.categories, factor), _scaled(scores.brands, factor))


def add(
    scores: Scores,
    at: datetime,
    weight: float,
    half_life_seconds: float,
    *,
    category: str | None = None,
    brand: str | None = None,
) -> Scores:
    """`scores` with one event of `weight` at time `at` applied to a category and a brand."""
    if scores.as_of is None or at >= scores.as_of:
        base = decayed_to(scores, at, half_life_seconds)
        base = Scores(at, base.categories, base.brands)
        added = weight
    else:  # a late event: its weight, decayed to the time the scores are kept as of
        base = scores
        added = weight * decay_factor((scores.as_of - at).total_seconds(), half_life_seconds)
    categories = dict(base.categories)
    brands = dict(base.brands)
    if category is not None:
        categories[category] = categories.get(category, 0.0) + added
    if brand is not None:
        brands[brand] = brands.get(brand, 0.0) + added
    return Scores(base.as_of, categories, brands)
