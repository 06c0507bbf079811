"""Next delivery-report check for a sent SMS: backs off with the message's age, then gives up."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from peyvand_campaign.domain.delivery_reports import GIVE_UP_AFTER, MAX_INTERVAL, next_report_check

SENT = dt.datetime(2026, 6, 10, 6, 0, tzinfo=dt.UTC)
POLL = dt.timedelta(seconds=30)


def test_a_fresh_message_is_asked_about_again_at_the_next_poll() -> None:
    now = SENT + dt.timedelta(seconds=5)
    assert next_report_check(SENT, now, POLL) == now + POLL


def test_the_wait_grows_with_the_age_of_the_message() -> None:
    now = SENT + dt.timedelta(hours=2)
    assert next_report_check(SENT, now, POLL) == now + dt.timedelta(hours=1)


def test_the_wait_is_capped() -> None:
    now = SENT + dt.timedelta(hours=40)
    assert next_report_check(SENT, now, POLL) == now + MAX_INTERVAL


def test_after_three_days_the_message_is_no_longer_asked_about() -> None:
    assert next_report_check(SENT, SENT + GIVE_UP_AFTER, POLL) is None
    assert next_report_check(SENT, SENT + GIVE_UP_AFTER - dt.timedelta(seconds=1), POLL) is not None
    assert next_report_check(SENT, SENT + dt.timedelta(hours=2), POLL, give_up_after=dt.timedelta(hours=1)) is None


def test_naive_instants_and_a_non_positive_poll_interval_are_refused() -> None:
    with pytest.raises(ValueError):
        next_report_check(SENT.replace(tzinfo=None), SENT, POLL)
    with pytest.raises(ValueError):
        next_report_check(SENT, SENT, dt.timedelta(0))


@given(st.integers(min_value=0, max_value=int(GIVE_UP_AFTER.total_seconds()) - 1))
def test_every_message_still_waiting_gets_a_later_check_within_the_bounds(age_seconds: int) -> None:
    now = SENT + dt.timedelta(seconds=age_seconds)
    check = next_report_check(SENT, now, POLL)
    assert check is not None
    assert POLL <= check - now <= MAX_INTERVAL
