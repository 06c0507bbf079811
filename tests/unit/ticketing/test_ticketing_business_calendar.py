"""Business-calendar arithmetic: hours, Thursday half day, Friday, holidays, zone and Nowruz."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from peyvand_runtime.domain import ValidationError
from peyvand_runtime.tehran_time import TEHRAN, UTC
from peyvand_ticketing.domain.business_calendar import BusinessCalendar, BusinessHours, seed_iran_holidays

# 2025-05-03 is a Saturday: the Iranian week Sat 3 … Wed 7, Thu 8 (half day), Fri 9 (off).
SATURDAY = dt.date(2025, 5, 3)
SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, NEXT_SATURDAY = (SATURDAY + dt.timedelta(days=i) for i in range(1, 8))


def tehran(day: dt.date, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TEHRAN)


def test_adding_within_the_same_day_returns_a_utc_instant(calendar: BusinessCalendar) -> None:
    due = calendar.add_business_minutes(tehran(SATURDAY, 9, 0), 60)
    assert due == tehran(SATURDAY, 10, 0)
    assert due.tzinfo is UTC
    assert due == dt.datetime(2025, 5, 3, 6, 30, tzinfo=UTC)  # Tehran is UTC+3:30


def test_starting_before_opening_counts_from_eight(calendar: BusinessCalendar) -> None:
    assert calendar.add_business_minutes(tehran(SATURDAY, 6, 0), 30) == tehran(SATURDAY, 8, 30)


def test_starting_after_closing_rolls_overnight_to_next_morning(calendar: BusinessCalendar) -> None:
    assert calendar.add_business_minutes(tehran(SATURDAY, 17, 0), 30) == tehran(SUNDAY, 8, 30)
    assert calendar.add_business_minutes(tehran(SATURDAY, 15, 30), 60) == tehran(SUNDAY, 8, 30)


def test_target_used_up_at_closing_ends_at_closing_not_next_morning(calendar: BusinessCalendar) -> None:
    assert calendar.add_business_minutes(tehran(SATURDAY, 15, 0), 60) == tehran(SATURDAY, 16, 0)


def test_zero_minutes_is_the_start_and_negative_is_refused(calendar: BusinessCalendar) -> None:
    assert calendar.add_business_minutes(tehran(FRIDAY, 10, 0), 0) == tehran(FRIDAY, 10, 0)
    with pytest.raises(ValueError):
        calendar.add_business_minutes(tehran(SATURDAY, 10, 0), -1)


def test_thursday_is_a_half_day(calendar: BusinessCalendar) -> None:
    # 60 minutes left on Wednesday, then Thursday opens at 08:00.
    assert calendar.add_business_minutes(tehran(WEDNESDAY, 15, 0), 120) == tehran(THURSDAY, 9, 0)
    # Thursday closes at 12:00 and Friday is off: the rest lands on Saturday.
    assert calendar.add_business_minutes(tehran(THURSDAY, 11, 0), 120) == tehran(NEXT_SATURDAY, 9, 0)


def test_thursday_can_be_a_day_off() -> None:
    calendar = BusinessCalendar(thursday_hours=None)
    assert calendar.add_business_minutes(tehran(WEDNESDAY, 15, 0), 120) == tehran(NEXT_SATURDAY, 9, 0)
    assert not calendar.is_business_day(THURSDAY)


def test_configurable_working_hours() -> None:
    calendar = BusinessCalendar(workday_hours=BusinessHours(dt.time(7, 30), dt.time(14, 30)))
    assert calendar.add_business_minutes(tehran(SATURDAY, 14, 0), 60) == tehran(SUNDAY, 8, 0)


def test_friday_is_never_business_time(calendar: BusinessCalendar) -> None:
    assert not calendar.is_business_day(FRIDAY)
    assert not calendar.is_business_time(tehran(FRIDAY, 10, 0))
    assert calendar.add_business_minutes(tehran(FRIDAY, 10, 0), 15) == tehran(NEXT_SATURDAY, 8, 15)


def test_a_holiday_is_skipped_like_a_weekend() -> None:
    calendar = BusinessCalendar(holidays={SUNDAY})
    assert calendar.add_business_minutes(tehran(SATURDAY, 15, 0), 120) == tehran(MONDAY, 9, 0)
    assert not calendar.is_business_time(tehran(SUNDAY, 10, 0))


def test_is_business_time_boundaries(calendar: BusinessCalendar) -> None:
    assert calendar.is_business_time(tehran(SATURDAY, 8, 0))
    assert not calendar.is_business_time(tehran(SATURDAY, 7, 59))
    assert calendar.is_business_time(tehran(SATURDAY, 15, 59))
    assert not calendar.is_business_time(tehran(SATURDAY, 16, 0))
    assert calendar.is_business_time(tehran(THURSDAY, 11, 59))
    assert not calendar.is_business_time(tehran(THURSDAY, 12, 0))


def test_next_business_instant(calendar: BusinessCalendar) -> None:
    inside = tehran(SATURDAY, 10, 17, 5)
    assert calendar.next_business_instant(inside) == inside
    assert calendar.next_business_instant(tehran(WEDNESDAY, 20, 0)) == tehran(THURSDAY, 8, 0)
    assert calendar.next_business_instant(tehran(THURSDAY, 13, 0)) == tehran(NEXT_SATURDAY, 8, 0)
    assert calendar.next_business_instant(tehran(SATURDAY, 0, 30)) == tehran(SATURDAY, 8, 0)


def test_minutes_between(calendar: BusinessCalendar) -> None:
    assert calendar.business_minutes_between(tehran(SATURDAY, 9, 0), tehran(SATURDAY, 9, 45)) == 45
    # Wednesday 15:00 → Saturday 09:00: 60 + Thursday 240 + Friday 0 + 60.
    assert calendar.business_minutes_between(tehran(WEDNESDAY, 15, 0), tehran(NEXT_SATURDAY, 9, 0)) == 360
    assert calendar.business_minutes_between(tehran(NEXT_SATURDAY, 9, 0), tehran(WEDNESDAY, 15, 0)) == -360
    assert calendar.business_minutes_between(tehran(FRIDAY, 1, 0), tehran(FRIDAY, 23, 0)) == 0
    assert calendar.business_minutes_between(tehran(SATURDAY, 9, 0), tehran(SATURDAY, 9, 0, 59)) == 0


def test_minutes_between_over_weeks_removes_holidays_on_working_days_only() -> None:
    week = 5 * 480 + 240
    plain = BusinessCalendar()
    assert plain.business_minutes_between(tehran(SATURDAY, 8), tehran(SATURDAY + dt.timedelta(days=14), 8)) == 2 * week
    with_holidays = BusinessCalendar(holidays={MONDAY, THURSDAY, FRIDAY})
    assert with_holidays.business_minutes_between(
        tehran(SATURDAY, 8), tehran(SATURDAY + dt.timedelta(days=14), 8)
    ) == 2 * week - 480 - 240


def test_long_targets_skip_whole_weeks_with_holidays_inside() -> None:
    calendar = BusinessCalendar(holidays={TUESDAY})
    start = tehran(SATURDAY, 8, 0)
    due = calendar.add_business_minutes(start, 20 * 480)
    assert calendar.business_minutes_between(start, due) == 20 * 480
    assert calendar.is_business_time(due - dt.timedelta(minutes=1))


def test_naive_datetimes_are_read_as_utc(calendar: BusinessCalendar) -> None:
    naive_utc = dt.datetime(2025, 5, 3, 5, 30)  # 09:00 Tehran
    assert calendar.add_business_minutes(naive_utc, 60) == tehran(SATURDAY, 10, 0)


def test_tehran_has_no_dst_now_but_past_windows_follow_the_old_offsets(calendar: BusinessCalendar) -> None:
    for day in (dt.date(2025, 1, 4), dt.date(2025, 7, 5)):  # winter and summer Saturdays
        opening, closing = calendar.window(day)  # type: ignore[misc]
        assert opening.astimezone(TEHRAN).utcoffset() == dt.timedelta(hours=3, minutes=30)
        assert opening.time() == dt.time(4, 30) and closing.time() == dt.time(12, 30)
    # Summer 2021, before DST was abolished: Tehran was UTC+4:30, so 08:00 was 03:30 UTC.
    opening, _ = calendar.window(dt.date(2021, 7, 3))  # type: ignore[misc]
    assert opening == dt.datetime(2021, 7, 3, 3, 30, tzinfo=UTC)


def test_same_instant_in_another_zone_gives_the_same_answer(calendar: BusinessCalendar) -> None:
    start = tehran(SATURDAY, 15, 0)
    in_berlin = start.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert calendar.add_business_minutes(in_berlin, 90) == calendar.add_business_minutes(start, 90)


def test_bad_hours_name_the_setting() -> None:
    with pytest.raises(ValidationError) as raised:
        BusinessCalendar(thursday_hours=BusinessHours(dt.time(12), dt.time(8)))
    assert [v.field for v in raised.value.violations] == ["thursday_hours"]


# -- seeded official holidays ------------------------------------------------------------------


def test_seed_has_nowruz_in_persian_by_default() -> None:
    seeded = dict(seed_iran_holidays([2025]))
    for day in range(21, 25):
        assert dt.date(2025, 3, day) in seeded
    assert "نوروز" in seeded[dt.date(2025, 3, 21)]
    assert "تخمینی" not in seeded[dt.date(2025, 3, 21)]  # Persian-calendar dates are exact
    assert seed_iran_holidays([2025]) == sorted(seed_iran_holidays([2025]))


def test_seed_marks_far_future_lunar_holidays_as_estimates() -> None:
    names = [name for _, name in seed_iran_holidays([2031], language="en_US")]
    assert any("Ashura" in n and "estimated" in n for n in names)
    assert any(n == "Nowruz" for n in names)


def test_nowruz_from_the_seed_stops_the_clock() -> None:
    calendar = BusinessCalendar(day for day, _ in seed_iran_holidays([2025]))
    # Tuesday 18 March 1403-12-28: the 19th (oil nationalisation), 20th (last day of the year),
    # Friday 21st and Nowruz 22–24 March are all off; work resumes Tuesday 25 March.
    start = tehran(dt.date(2025, 3, 18), 15, 0)
    assert calendar.add_business_minutes(start, 120) == tehran(dt.date(2025, 3, 25), 9, 0)
    assert calendar.business_minutes_between(start, tehran(dt.date(2025, 3, 25), 9, 0)) == 120


# -- properties -----------------------------------------------------------------------------------

whole_minute_instants = st.integers(min_value=0, max_value=3 * 365 * 24 * 60).map(
    lambda m: dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=m)
)
HOLIDAY_CALENDAR = BusinessCalendar(day for day, _ in seed_iran_holidays([2024, 2025, 2026, 2027]))


@settings(max_examples=300, deadline=None)
@given(start=whole_minute_instants, minutes=st.integers(min_value=0, max_value=30 * 480))
def test_add_then_measure_round_trips_and_is_the_earliest_instant(start: dt.datetime, minutes: int) -> None:
    due = HOLIDAY_CALENDAR.add_business_minutes(start, minutes)
    assert HOLIDAY_CALENDAR.business_minutes_between(start, due) == minutes
    if minutes:
        assert HOLIDAY_CALENDAR.business_minutes_between(start, due - dt.timedelta(minutes=1)) == minutes - 1


@settings(max_examples=300, deadline=None)
@given(a=whole_minute_instants, b=whole_minute_instants, c=whole_minute_instants)
def test_minutes_between_adds_up_over_consecutive_spans(a: dt.datetime, b: dt.datetime, c: dt.datetime) -> None:
    a, b, c = sorted((a, b, c))
    total = HOLIDAY_CALENDAR.business_minutes_between(a, c)
    assert HOLIDAY_CALENDAR.business_minutes_between(a, b) + HOLIDAY_CALENDAR.business_minutes_between(b, c) == total


@settings(max_examples=200, deadline=None)
@given(a=whole_minute_instants, span=st.integers(min_value=0, max_value=60 * 24 * 60))
def test_minutes_between_matches_a_minute_by_minute_count(a: dt.datetime, span: int) -> None:
    # Slow reference over at most a few days' worth of sampled minutes.
    b = a + dt.timedelta(minutes=span % (4 * 24 * 60))
    expected = sum(
        HOLIDAY_CALENDAR.is_business_time(a + dt.timedelta(minutes=i)) for i in range(int((b - a).total_seconds() // 60))
    )
    assert HOLIDAY_CALENDAR.business_minutes_between(a, b) == expected
