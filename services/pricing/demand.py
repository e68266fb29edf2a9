"""The demand model: from a flight's bookings to its price, always within [floor, ceiling].

For a flight with `capacity` seats, `booked` of them booked, and the recent bookings:

    load       = booked / capacity                                   (0 to 1)
    velocity   = seats booked within the window / capacity           (0 to 1)
    multiplier = clamp(1 + a·(load - target) + b·velocity, min, max)
    price      = clamp(round_to_cent(base * multiplier), floor, ceiling)

- `a` (load_weight) prices the flight's fullness against a target load: below the target
  the fare drops (down to `min`), above it the fare rises.
- `b` (velocity_weight) prices the rush: seats sold within the sliding window (the last
  `window`, bookings made at `now - window` or earlier no longer count) as a share of the
  flight, so a burst of bookings raises the fare at once and the rise fades as the burst
  leaves the window. Both are shares of capacity, so one setting suits every flight size.
- The multiplier is clamped to [min, max] first (demand alone never more than doubles a
  fare, by default), then the price is rounded to the cent (half to even) and clamped to
  the flight's [floor, ceiling] LAST: whatever the settings and the demand, no price ever
  leaves the floor and the ceiling.

Everything is exact (fractions of ints; settings are read through their decimal text), so
the same bookings at the same moment always give the same price, on every instance.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

# Prices are whole cents: 10,000,000 nanos.
CENT = 10_000_000


def exact(value: float) -> Fraction:
    """A setting as the decimal it was written as: 0.1 is 1/10, not the nearest binary."""
    return Fraction(Decimal(str(value)))


@dataclass(frozen=True)
class Model:
    """The model's parameters (PricingSettings, with defaults documented there)."""

    target_load: Fraction
    load_weight: Fraction  # a
    velocity_weight: Fraction  # b
    min_multiplier: Fraction
    max_multiplier: Fraction
    window: timedelta

    def __post_init__(self) -> None:
        if not 0 < self.min_multiplier <= self.max_multiplier:
            raise ValueError("the multiplier bounds must satisfy 0 < min <= max")


@dataclass(frozen=True)
class Fare:
    """What staff configured for a flight; amounts in nanos of one currency."""

    capacity: int
    base: int
    floor: int
    ceiling: int

    def __post_init__(self) -> None:
        if self.capacity < 1 or not 0 <= self.floor <= self.ceiling or self.base < 0:
            raise ValueError("a fare needs capacity >= 1 and 0 <= floor <= ceiling")


@dataclass(frozen=True)
class Recent:
    """One booking the velocity window may count."""

    seats: int
    booked_at: datetime


@dataclass(frozen=True)
class Quoted:
    """The price the model gives, with what it came from."""

    price: int  # nanos, floor <= price <= ceiling
    multiplier: Fraction
    load: Fraction
    velocity: Fraction


def clamp(value: Fraction | int, low: Fraction | int, high: Fraction | int) -> Fraction:
    return Fraction(min(max(value, low), high))


def load_factor(booked: int, capacity: int) -> Fraction:
    return clamp(Fraction(booked, capacity), 0, 1)


def velocity(recent: Iterable[Recent], capacity: int, now: datetime, window: timedelta) -> Fraction:
    """Seats booked after `now - window`, as a share of capacity. A booking stamped a little
    after `now` (another instance's clock) counts as recent."""
    since = now - window
    seats = sum(booking.seats for booking in recent if booking.booked_at > since)
    return clamp(Fraction(seats, capacity), 0, 1)


def multiplier(model: Model, load: Fraction, rush: Fraction) -> Fraction:
    raw = 1 + model.load_weight * (load - model.target_load) + model.velocity_weight * rush
    return clamp(raw, model.min_multiplier, model.max_multiplier)


def round_to_cent(nanos: Fraction) -> int:
    return round(nanos / CENT) * CENT  # round() of a Fraction: half to even


def price(model: Model, fare: Fare, booked: int, recent: Iterable[Recent], now: datetime) -> Quoted:
    load = load_factor(booked, fare.capacity)
    rush = velocity(recent, fare.capacity, now, model.window)
    factor = multiplier(model, load, rush)
    bounded = clamp(round_to_cent(fare.base * factor), fare.floor, fare.ceiling)
    return Quoted(price=int(bounded), multiplier=factor, load=load, velocity=rush)
