"""Quiet hours in Tehran time, service messages timed before their date, and the weekly cap."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from peyvand_campaign.domain.frequency import next_allowed_at, within_cap
from peyvand_campaign.domain.quiet_hours import (
    QuietWindow,
    is_quiet,
    latest_allowed_before,
    next_send_at,
    schedule_service_message,
)
from peyvand_runtime.tehran_time import TEHRAN, UTC, expiry_instant


def tehran(day: int, hour: int, minute: int = 0, month: int = 6) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TEHRAN).astimezone(UTC)


@pytest.mark.parametrize(("hour", "minute", "quiet"), [
    (20, 59, False), (21, 0, True), (23, 59, True), (0, 0, True), (8, 59, True), (9, 0, False), (12, 0, False),
])
def test_sms_and_push_quiet_hours_boundaries(hour: int, minute: int, quiet: bool) -> None:
    assert is_quiet("sms", tehran(10, hour, minute)) is quiet
    assert is_quiet("push", tehran(10, hour, minute)) is quiet
    assert is_quiet("email", tehran(10, hour, minute)) is False


def test_next_send_at_is_now_when_allowed_and_returns_utc() -> None:
    now = tehran(10, 20, 59)
    assert next_send_at("sms", now) == now and next_send_at("sms", now).tzinfo == UTC
    local = dt.datetime(2026, 6, 10, 22, 0, tzinfo=TEHRAN)
    assert next_send_at("sms", local) == tehran(11, 9, 0) and next_send_at("sms", local).tzinfo == UTC


def test_evening_messages_wait_until_nine_next_morning() -> None:
    assert next_send_at("sms", tehran(10, 21, 0)) == tehran(11, 9, 0)
    assert next_send_at("push", tehran(10, 23, 30)) == tehran(11, 9, 0)


def test_early_morning_messages_wait_until_nine_the_same_day() -> None:
    assert next_send_at("sms", tehran(11, 8, 59)) == tehran(11, 9, 0)
    assert next_send_at("sms", tehran(11, 0, 5)) == tehran(11, 9, 0)


def test_email_is_not_restricted_by_default_but_configurable() -> None:
    assert next_send_at("email", tehran(10, 23, 0)) == tehran(10, 23, 0)
    custom = {"email": QuietWindow(dt.time(22, 0), dt.time(7, 0)), "sms": None}
    assert next_send_at("email", tehran(10, 23, 0), custom) == tehran(11, 7, 0)
    assert next_send_at("sms", tehran(10, 23, 0), custom) == tehran(10, 23, 0)


def test_a_daytime_window_that_does_not_wrap_midnight() -> None:
    lunch = {"push": QuietWindow(dt.time(13, 0), dt.time(14, 0))}
    assert next_send_at("push", tehran(10, 13, 30), lunch) == tehran(10, 14, 0)
    assert next_send_at("push", tehran(10, 14, 0), lunch) == tehran(10, 14, 0)


def test_a_window_must_have_length() -> None:
    with pytest.raises(ValueError):
        QuietWindow(dt.time(9, 0), dt.time(9, 0))


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        next_send_at("sms", dt.datetime(2026, 6, 10, 12, 0))


@given(st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(UTC)))
def test_next_send_at_is_never_earlier_never_quiet_and_at_most_twelve_hours_away(now: dt.datetime) -> None:
    at = next_send_at("sms", now)
    assert now <= at <= now + dt.timedelta(hours=12)
    assert not is_quiet("sms", at)


# Service messages "timed to arrive before the date they are about".
def test_service_message_waits_for_morning_when_that_is_still_before_its_date() -> None:
    about = tehran(11, 12, 0)
    assert schedule_service_message("sms", tehran(10, 22, 30), about) == tehran(11, 9, 0)


def test_service_message_goes_immediately_when_waiting_would_make_it_late() -> None:
    # Policy ends on 10 June: it expires at 24:00 Tehran time; it is 22:30 — 09:00 is too late.
    now = tehran(10, 22, 30)
    about = expiry_instant(dt.date(2026, 6, 10))
    assert schedule_service_message("sms", now, about) == now


def test_service_message_is_sent_the_previous_evening_when_planned_for_after_quiet_hours_start() -> None:
    # Planned for 22:00, but an 08:00 appointment the next morning: send at 20:59 the evening before.
    now = tehran(10, 12, 0)
    at = schedule_service_message("sms", now, tehran(11, 8, 0), earliest=tehran(10, 22, 0))
    assert at == tehran(10, 20, 59)
    assert latest_allowed_before("sms", tehran(11, 8, 0)) == tehran(10, 20, 59)


def test_service_message_goes_now_when_the_previous_evening_has_passed() -> None:
    now = tehran(11, 7, 0)
    assert schedule_service_message("sms", now, tehran(11, 8, 30)) == now


def test_service_message_about_the_past_respects_quiet_hours() -> None:
    assert schedule_service_message("sms", tehran(10, 23, 0), tehran(10, 22, 0)) == tehran(11, 9, 0)


def test_service_message_in_daytime_goes_now_and_email_ignores_quiet_hours() -> None:
    assert schedule_service_message("sms", tehran(10, 15, 0), tehran(12, 0, 0)) == tehran(10, 15, 0)
    assert schedule_service_message("email", tehran(10, 23, 0), tehran(11, 8, 0)) == tehran(10, 23, 0)


@given(st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 1, 1), timezones=st.just(UTC)),
       st.integers(min_value=1, max_value=48 * 60))
def test_service_messages_are_never_dropped_and_never_late_when_avoidable(now: dt.datetime, minutes: int) -> None:
    about = now + dt.timedelta(minutes=minutes)
    at = schedule_service_message("sms", now, about)
    assert at >= now
    assert at < about
    assert at == now or not is_quiet("sms", at)


# Weekly frequency cap.
NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def test_three_marketing_messages_in_seven_days_reach_the_cap() -> None:
    assert within_cap([ago(1), ago(2)], NOW)
    assert not within_cap([ago(1), ago(2), ago(6.9)], NOW)


def test_a_message_exactly_seven_days_old_no_longer_counts() -> None:
    assert within_cap([ago(1), ago(2), ago(7)], NOW)
    assert within_cap([ago(1), ago(2), ago(30)], NOW)


def test_queued_messages_planned_for_later_count_too() -> None:
    assert not within_cap([ago(1), NOW + dt.timedelta(hours=3), ago(2)], NOW)


def test_cap_is_configurable_and_zero_switches_marketing_off() -> None:
    assert within_cap([ago(1)] * 4, NOW, cap=5)
    assert not within_cap([], NOW, cap=0)
    assert next_allowed_at([], NOW, cap=0) is None


def test_next_allowed_at_is_when_the_oldest_counted_message_leaves_the_window() -> None:
    assert next_allowed_at([ago(1)], NOW) == NOW
    sent = [ago(1), ago(5), ago(2), ago(6)]
    when = next_allowed_at(sent, NOW)
    assert when == ago(5) + dt.timedelta(days=7)
    assert within_cap(sent, when) and not within_cap(sent, when - dt.timedelta(seconds=1))
