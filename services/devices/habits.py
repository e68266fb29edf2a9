"""The habit rule: when repeated manual changes of a thermostat become a suggestion.

Everything here is pure (no I/O, no clock): tests pin each rule with plain values.

An adjustment is read in the owner's local time, as the device wrote it (the offset of its
`occurredAt`): its local calendar day and its minute of the day. Two manual adjustments of
one device are *similar* when their setpoints differ by at most 0.5 °C and their times of
day by at most 30 minutes (on a 24-hour circle, so 23:50 and 00:10 are 20 minutes apart).

A new manual adjustment completes a *habit* when similar adjustments (itself included) fall
on at least 3 distinct calendar days of some 7 consecutive days that include its own day.
Days are counted from the adjustments' own timestamps, never from the clock, so reports that
arrive late (a device that was offline, a test replaying past days) count for the days they
happened on. Several changes on one day count as one day. A window must include the new
adjustment's day, so an adjustment more than 6 days before it never counts; and any window
will do, not only the one ending on its day, so that reports handled out of order (the
consumer handles several at once) still find the habit once the last of them is recorded.
"""

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class HabitRule:
    """The rule's numbers. The defaults are the product's; tests may pass others."""

    min_days: int = 3  # distinct days with a similar change...
    span_days: int = 7  # ...within this many consecutive days
    setpoint_tolerance_tenths: int = 5  # 0.5 °C either way, inclusive
    time_tolerance_minutes: int = 30  # either way, inclusive
    setpoint_step_tenths: int = 5  # a suggested setpoint is a multiple of 0.5 °C
    time_step_minutes: int = 15  # a suggested time is a multiple of 15 minutes


RULE = HabitRule()


@dataclass(frozen=True)
class Adjustment:
    """One manual change in the owner's local time. Setpoints are whole tenths of a degree
    (integers, so that 21.0 against 21.5 is exactly at the tolerance, not a float away)."""

    setpoint_tenths: int
    day: date
    minute: int  # of the local day, 0 to 1439


@dataclass(frozen=True)
class Habit:
    """What a suggestion proposes: a setpoint at a time of day, seen on `days`."""

    setpoint_tenths: int
    minute: int
    days: tuple[date, ...]

    @property
    def local_time(self) -> str:
        return f"{self.minute // 60:02d}:{self.minute % 60:02d}"

    @property
    def setpoint_celsius(self) -> float:
        return self.setpoint_tenths / 10


def tenths(celsius: float) -> int:
    return round(celsius * 10)


def local_adjustment(setpoint_celsius: float, occurred_at: datetime) -> Adjustment:
    """The adjustment as the owner lived it: the day and time written in `occurred_at`,
    in its own offset (never converted to UTC, which would move 00:30 to the day before)."""
    return Adjustment(
        setpoint_tenths=tenths(setpoint_celsius),
        day=occurred_at.date(),
        minute=occurred_at.hour * 60 + occurred_at.minute,
    )


def minutes_apart(a: int, b: int) -> int:
    """The distance between two times of day on a 24-hour circle."""
    apart = abs(a - b) % MINUTES_PER_DAY
    return min(apart, MINUTES_PER_DAY - apart)


def similar(
    a_setpoint: int, a_minute: int, b_setpoint: int, b_minute: int, rule: HabitRule = RULE
) -> bool:
    """Within the setpoint tolerance and the time tolerance, both inclusive."""
    return (
        abs(a_setpoint - b_setpoint) <= rule.setpoint_tolerance_tenths
        and minutes_apart(a_minute, b_minute) <= rule.time_tolerance_minutes
    )


def habit_of(
    new: Adjustment, history: Iterable[Adjustment], rule: HabitRule = RULE
) -> Habit | None:
    """The habit `new` completes with `history` (earlier recorded adjustments of the same
    device; `new` may be among them), or None.

    Windows are tried from the one ending on the new day (the usual case: reports arrive
    in order) to the one starting on it; the first with `min_days` distinct days is the
    habit's. Its setpoint and time are the medians of the similar adjustments in that
    window, rounded to the nearest step, so that a habit scattered around 07:00 and 21 °C
    is suggested as 07:00 and 21.0 °C, whichever of its days completed it.
    """
    matches = [
        a
        for a in {*history, new}
        if similar(a.setpoint_tenths, a.minute, new.setpoint_tenths, new.minute, rule)
    ]
    for shift in range(rule.span_days):
        first = new.day - timedelta(days=rule.span_days - 1 - shift)
        last = first + timedelta(days=rule.span_days - 1)
        inside = [a for a in matches if first <= a.day <= last]
        days = sorted({a.day for a in inside})
        if len(days) >= rule.min_days:
            return Habit(
                setpoint_tenths=_round_to(
                    _median(a.setpoint_tenths for a in inside), rule.setpoint_step_tenths
                ),
                minute=_typical_minute(new.minute, [a.minute for a in inside], rule),
                days=tuple(days),
            )
    return None


def _median(values: Iterable[int]) -> int:
    # median_low: always one of the values, so the result is an integer and deterministic.
    return int(statistics.median_low(list(values)))


def _round_to(value: int, step: int) -> int:
    """To the nearest multiple of `step`, halves up (not Python's round-half-even)."""
    return (value + step // 2) // step * step


def _typical_minute(centre: int, minutes: Sequence[int], rule: HabitRule) -> int:
    """The median time of day, taken as offsets from `centre` (each within the tolerance),
    so that times around midnight (23:50, 00:10) have a median near midnight, not noon."""
    offsets = []
    for minute in minutes:
        offset = (minute - centre) % MINUTES_PER_DAY
        offsets.append(offset - MINUTES_PER_DAY if offset > MINUTES_PER_DAY // 2 else offset)
    typical = (centre + _median(offsets)) % MINUTES_PER_DAY
    return _round_to(typical, rule.time_step_minutes) % MINUTES_PER_DAY


def suggestion_id(device_id: str, habit: Habit) -> str:
    """`sg-<deviceId>-<setpoint in tenths>-<HHMM>`: derived from the device and the habit's
    setpoint and time buckets only, so the same habit always gets the same id, whichever
    event completed it and however often it repeats."""
    return f"sg-{device_id}-{habit.setpoint_tenths}-{habit.local_time.replace(':', '')}"
