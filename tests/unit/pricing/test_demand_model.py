"""The demand model: load, velocity over the sliding window, the bounded multiplier, and a
price that never leaves the floor and the ceiling."""

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given, seed, settings
from hypothesis import strategies as st

from services.pricing import demand
from services.pricing.demand import CENT, Fare, Model, Recent

UNIT = 1_000_000_000
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
# The defaults of PricingSettings.
MODEL = Model(
    target_load=Fraction(1, 2),
    load_weight=Fraction(1),
    velocity_weight=Fraction(2),
    min_multiplier=Fraction(4, 5),
    max_multiplier=Fraction(2),
    window=WINDOW,
)
FARE = Fare(capacity=100, base=100 * UNIT, floor=50 * UNIT, ceiling=300 * UNIT)


def _at(minutes_ago: float, seats: int = 1) -> Recent:
    return Recent(seats=seats, booked_at=NOW - timedelta(minutes=minutes_ago))


def test_load_factor_is_booked_over_capacity() -> None:
    assert demand.load_factor(30, 120) == Fraction(1, 4)
    assert demand.load_factor(0, 10) == 0
    assert demand.load_factor(10, 10) == 1


def test_the_window_counts_only_bookings_after_now_minus_window() -> None:
    recent = [_at(20, 5), _at(15, 7), _at(14.99, 3), _at(0, 2)]
    # 20 and exactly 15 minutes ago are out; 14.99 and now are in.
    assert demand.velocity(recent, 100, NOW, WINDOW) == Fraction(5, 100)


def test_a_booking_stamped_after_now_counts_as_recent() -> None:
    assert demand.velocity([_at(-1, 4)], 100, NOW, WINDOW) == Fraction(4, 100)


def test_velocity_falls_as_bookings_leave_the_window() -> None:
    recent = [_at(10, 20)]
    assert demand.velocity(recent, 100, NOW, WINDOW) == Fraction(1, 5)
    later = NOW + timedelta(minutes=5)
    assert demand.velocity(recent, 100, later, WINDOW) == 0


def test_the_multiplier_is_one_at_target_load_with_no_rush() -> None:
    assert demand.multiplier(MODEL, Fraction(1, 2), Fraction(0)) == 1


def test_the_multiplier_follows_the_formula_inside_its_bounds() -> None:
    # 1 + 1*(0.7 - 0.5) + 2*0.1 = 1.4
    assert demand.multiplier(MODEL, Fraction(7, 10), Fraction(1, 10)) == Fraction(7, 5)


def test_the_multiplier_is_clamped_to_min_and_max() -> None:
    assert demand.multiplier(MODEL, Fraction(0), Fraction(0)) == Fraction(4, 5)  # 0.5 -> 0.8
    assert demand.multiplier(MODEL, Fraction(1), Fraction(1)) == 2  # 3.5 -> 2


def test_bookings_raise_the_price() -> None:
    quiet = demand.price(MODEL, FARE, 30, [], NOW)
    busy = demand.price(MODEL, FARE, 30, [_at(1, 30)], NOW)
    assert (quiet.price, busy.price) == (80 * UNIT, 140 * UNIT)  # 0.8 and 1.4 times 100
    assert busy.load == Fraction(3, 10)
    assert busy.velocity == Fraction(3, 10)


def test_the_price_is_held_at_the_floor_with_no_demand() -> None:
    fare = Fare(capacity=100, base=100 * UNIT, floor=90 * UNIT, ceiling=300 * UNIT)
    quoted = demand.price(MODEL, fare, 0, [], NOW)
    assert quoted.multiplier == Fraction(4, 5)
    assert quoted.price == 90 * UNIT  # 80 is below the floor


def test_the_price_is_held_at_the_ceiling_under_heavy_demand() -> None:
    fare = Fare(capacity=10, base=100 * UNIT, floor=50 * UNIT, ceiling=120 * UNIT)
    quoted = demand.price(MODEL, fare, 8, [_at(0, 8)], NOW)
    assert quoted.multiplier == 2
    assert quoted.price == 120 * UNIT  # 200 is above the ceiling


def test_prices_are_rounded_to_the_cent_half_to_even() -> None:
    model = Model(
        target_load=Fraction(0),
        load_weight=Fraction(1, 1000),
        velocity_weight=Fraction(0),
        min_multiplier=Fraction(1, 10),
        max_multiplier=Fraction(10),
        window=WINDOW,
    )
    fare = Fare(capacity=2, base=5 * UNIT, floor=0, ceiling=1_000 * UNIT)
    # 5 * (1 + 0.001 * 1) = 5.005: half a cent, to even -> 5.00
    assert demand.price(model, fare, 2, [], NOW).price == 5 * UNIT
    # 5 * (1 + 0.001 * 0.5) = 5.0025 -> 5.00
    assert demand.price(model, fare, 1, [], NOW).price == 5 * UNIT


def test_settings_are_read_as_the_decimals_they_were_written_as() -> None:
    assert demand.exact(0.1) == Fraction(1, 10)


_amounts = st.integers(min_value=0, max_value=10_000 * UNIT)
_weights = st.fractions(min_value=0, max_value=10, max_denominator=1000)


@seed(20261127)
@settings(max_examples=300, deadline=None, derandomize=False)
@given(
    capacity=st.integers(min_value=1, max_value=500),
    booked_share=st.fractions(min_value=0, max_value=1, max_denominator=500),
    base=_amounts,
    bounds=st.tuples(_amounts, _amounts).map(sorted),
    weights=st.tuples(_weights, _weights, st.fractions(min_value=0, max_value=1)),
    multipliers=st.tuples(
        st.fractions(min_value=Fraction(1, 100), max_value=10, max_denominator=100),
        st.fractions(min_value=Fraction(1, 100), max_value=10, max_denominator=100),
    ).map(sorted),
    bookings=st.lists(
        st.tuples(st.integers(min_value=1, max_value=50), st.integers(-60, 3600)), max_size=30
    ),
)
def test_no_price_ever_leaves_the_floor_and_the_ceiling(
    capacity: int,
    booked_share: Fraction,
    base: int,
    bounds: list[int],
    weights: tuple[Fraction, Fraction, Fraction],
    multipliers: list[Fraction],
    bookings: list[tuple[int, int]],
) -> None:
    floor, ceiling = bounds
    load_weight, velocity_weight, target = weights
    model = Model(target, load_weight, velocity_weight, multipliers[0], multipliers[1], WINDOW)
    fare = Fare(capacity=capacity, base=base, floor=floor, ceiling=ceiling)
    recent = [Recent(seats, NOW - timedelta(seconds=ago)) for seats, ago in bookings]
    booked = int(booked_share * capacity)

    quoted = demand.price(model, fare, booked, recent, NOW)

    assert floor <= quoted.price <= ceiling
    assert model.min_multiplier <= quoted.multiplier <= model.max_multiplier
    assert 0 <= quoted.load <= 1
    assert 0 <= quoted.velocity <= 1
    # Inside the bounds, the price is base * multiplier to the cent.
    if floor < quoted.price < ceiling:
        assert abs(quoted.price - base * quoted.multiplier) <= CENT / 2
