"""The habit rule: a similar manual change on at least 3 days of 7 consecutive days."""

from datetime import date, datetime, timedelta, timezone

import pytest

from services.devices.habits import (
    Adjustment,
    Habit,
    HabitRule,
    habit_of,
    local_adjustment,
    minutes_apart,
    similar,
    suggestion_id,
)

TODAY = date(2026, 11, 27)


def at(days_ago: int, hh: int, mm: int, celsius: float = 21.0) -> Adjustment:
    return Adjustment(round(celsius * 10), TODAY - timedelta(days=days_ago), hh * 60 + mm)


def test_three_days_of_seven_make_a_habit() -> None:
    habit = habit_of(at(0, 7, 0), [at(2, 7, 5), at(1, 6, 55)])
    assert habit == Habit(
        setpoint_tenths=210, minute=7 * 60, days=(TODAY - timedelta(2), TODAY - timedelta(1), TODAY)
    )
    assert habit.local_time == "07:00"
    assert habit.setpoint_celsius == 21.0


def test_two_days_are_not_enough() -> None:
    assert habit_of(at(0, 7, 0), [at(1, 7, 0)]) is None


def test_several_changes_on_one_day_count_once() -> None:
    assert habit_of(at(0, 7, 0), [at(0, 7, 10), at(0, 7, 20), at(1, 7, 0)]) is None


def test_a_time_of_day_beyond_30_minutes_does_not_count() -> None:
    assert habit_of(at(0, 7, 0), [at(1, 7, 0), at(2, 7, 31)]) is None
    assert habit_of(at(0, 7, 0), [at(1, 7, 0), at(2, 7, 30)]) is not None  # inclusive


def test_a_setpoint_beyond_half_a_degree_does_not_count() -> None:
    assert habit_of(at(0, 7, 0, 21.0), [at(1, 7, 0, 21.0), at(2, 7, 0, 21.6)]) is None
    assert habit_of(at(0, 7, 0, 21.0), [at(1, 7, 0, 21.0), at(2, 7, 0, 21.5)]) is not None


def test_days_older_than_the_seven_day_span_do_not_count() -> None:
    assert habit_of(at(0, 7, 0), [at(7, 7, 0), at(8, 7, 0)]) is None
    assert habit_of(at(0, 7, 0), [at(6, 7, 0), at(7, 7, 0)]) is None
    assert habit_of(at(0, 7, 0), [at(6, 7, 0), at(3, 7, 0)]) is not None  # 6 days ago is in


def test_reports_handled_out_of_order_still_make_the_habit() -> None:
    # The change of two days ago is handled last: the window ending on the later days holds it.
    assert habit_of(at(2, 7, 0), [at(0, 7, 0), at(1, 7, 0)]) is not None


def test_times_around_midnight_are_close() -> None:
    assert minutes_apart(23 * 60 + 50, 10) == 20
    habit = habit_of(at(0, 0, 5), [at(1, 23, 55), at(2, 0, 10)])
    assert habit is not None
    assert habit.local_time == "00:00"


def test_the_suggestion_is_the_median_rounded_to_half_a_degree_and_a_quarter_hour() -> None:
    habit = habit_of(at(0, 6, 50, 21.3), [at(1, 7, 10, 21.4), at(2, 6, 56, 21.2)])
    assert habit is not None
    assert (habit.setpoint_celsius, habit.local_time) == (21.5, "07:00")
    assert suggestion_id("hall-1", habit) == "sg-hall-1-215-0700"


def test_scattered_changes_of_one_habit_get_the_same_id() -> None:
    first = habit_of(at(2, 7, 0), [at(4, 7, 5), at(3, 6, 58)])
    later = habit_of(at(0, 7, 4), [at(1, 6, 57), at(2, 7, 0)])
    assert first is not None
    assert later is not None
    assert suggestion_id("d", first) == suggestion_id("d", later)


def test_local_day_and_time_are_read_in_the_offset_as_written() -> None:
    # 00:30 in UTC+1 is the day before in UTC; the owner lived it on the 27th.
    moment = datetime(2026, 11, 27, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert local_adjustment(20.55, moment) == Adjustment(206, date(2026, 11, 27), 30)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((210, 420), (215, 450), True),
        ((210, 420), (216, 420), False),
        ((210, 0), (210, 1410), True),
    ],
)
def test_similar_is_inclusive_on_both_tolerances(
    a: tuple[int, int], b: tuple[int, int], expected: bool
) -> None:
    assert similar(*a, *b) is expected


def test_the_rule_numbers_can_be_changed() -> None:
    two_of_three = HabitRule(min_days=2, span_days=3)
    assert habit_of(at(0, 7, 0), [at(2, 7, 0)], two_of_three) is not None
    assert habit_of(at(0, 7, 0), [at(3, 7, 0)], two_of_three) is None
