"""Renewals: notice windows (missed, sent, expired), the 24:00 Tehran rule, renewing and lapsing."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from peyvand_policy.domain.products import get_product
from peyvand_policy.domain.renewal import DEFAULT_WINDOWS, due_window, renewal_quote, window_scan_range
from peyvand_runtime.domain import InvalidTransition, ValidationError
from policy_builders import AGENT, BRANCH, CLERK, HOLDER, TERM_END, TODAY, fixed_id, issue_policy, make_quote

DAY = dt.timedelta(days=1)
TPL = get_product("motor_tpl")


def days_before(days: int) -> dt.date:
    return TERM_END - days * DAY


@pytest.mark.parametrize("days_left, emitted, expected", [
    (46, set(), None),          # too early
    (45, set(), 45),
    (44, set(), 45),            # job missed the 45th day: still sent, once
    (44, {45}, None),           # already sent
    (30, {45}, 30),
    (20, {45}, 30),
    (10, {45}, 15),             # 30 and 15 missed: only the latest, no burst of stale ones
    (10, {45, 15}, None),
    (20, {7}, None),            # a later window was already sent
    (1, {45, 30, 15, 7}, 1),
    (0, {45, 30, 15, 7}, 1),    # the last covered day
    (0, {1}, None),
    (-1, set(), None),          # expired at 24:00 Tehran on the end date
])
def test_due_window(days_left: int, emitted: set[int], expected: int | None) -> None:
    assert due_window(TERM_END, days_before(days_left), DEFAULT_WINDOWS, emitted) == expected


def test_scan_range_covers_every_end_date_a_window_can_reach() -> None:
    assert window_scan_range(TODAY) == (TODAY, TODAY + 45 * DAY)
    assert window_scan_range(TODAY, (3, 10)) == (TODAY, TODAY + 10 * DAY)


def test_a_term_expires_at_midnight_tehran_on_its_end_date() -> None:
    policy = issue_policy()
    assert policy.expires_at == dt.datetime(2027, 3, 20, 20, 30, tzinfo=dt.UTC)  # 24:00 Tehran (+03:30)
    assert not policy.is_expired(TERM_END) and policy.is_expired(TERM_END + DAY)


windows_strategy = st.lists(st.integers(0, 60), min_size=1, max_size=6, unique=True)


@given(windows=windows_strategy, emitted=st.sets(st.integers(0, 60), max_size=6), days_left=st.integers(-5, 70))
def test_never_returns_a_window_already_sent(windows: list[int], emitted: set[int], days_left: int) -> None:
    result = due_window(TERM_END, days_before(days_left), windows, emitted)
    assert result is None or (result in windows and result not in emitted and result >= days_left >= 0)


@given(windows=windows_strategy, skipped=st.sets(st.integers(0, 400)))
def test_a_daily_job_sends_each_window_at_most_once_in_decreasing_order(windows: list[int], skipped: set[int]) -> None:
    """Run every day of a term (some days the job is down); what is sent is unique and decreasing."""
    sent: list[int] = []
    for offset in range(0, 370):
        if offset in skipped:
            continue
        window = due_window(TERM_END, TODAY + offset * DAY, windows, set(sent))
        if window is not None:
            sent.append(window)
    assert len(sent) == len(set(sent))
    assert sent == sorted(sent, reverse=True)
    if not skipped:
        assert sent == sorted(windows, reverse=True)


def test_notify_renewal_due_records_one_notice_per_window() -> None:
    policy = issue_policy()
    policy.pull_events()
    quote = renewal_quote(policy, TPL, days_before(45), input_changes={"no_claims_years": 4}, quote_id=fixed_id("qte", 2))
    assert policy.notify_renewal_due(days_before(45), quote) == 45
    assert policy.notify_renewal_due(days_before(45), quote) is None
    assert policy.notify_renewal_due(days_before(40), quote) is None
    [event] = policy.pull_events()
    assert event.type == "policy.renewal_due"
    assert event.payload == {
        "policy_id": policy.id, "policy_number": "1021-1405-000001", "holder_id": HOLDER, "agent_id": AGENT,
        "branch_code": BRANCH, "product_code": "motor_tpl", "product_name_fa": "بیمه شخص ثالث",
        "product_name_en": "Motor third-party liability", "term_end": "2027-03-20", "days_before_expiry": 45,
        "renewal_quote_id": fixed_id("qte", 2), "renewal_premium": 64_400_000, "renewal_total_premium": 70_840_000,
        "renewal_quote_valid_until": "2027-02-18", "expires_at": "2027-03-20T20:30:00Z",
    }
    assert policy.renewal_notices == {("2027-03-20", 45)}
    assert policy.notify_renewal_due(days_before(9), quote) == 15  # 30 was missed; only 15 goes out


def test_mark_renewal_notice_refuses_duplicates_and_other_terms() -> None:
    policy = issue_policy()
    assert policy.mark_renewal_notice(30, TERM_END) is True
    assert policy.mark_renewal_notice(30, TERM_END) is False
    with pytest.raises(ValidationError) as raised:
        policy.mark_renewal_notice(15, TERM_END + DAY)
    assert raised.value.violations[0].field == "term_end"


def test_renewal_quote_is_for_the_next_term() -> None:
    policy = issue_policy()
    quote = renewal_quote(policy, TPL, days_before(30), input_changes={"no_claims_years": 4})
    assert (quote.term_start, quote.term_end) == (dt.date(2027, 3, 21), dt.date(2028, 3, 19))  # 1406/01/01-12/29
    assert quote.renewal_of == policy.id
    assert quote.valid_until == days_before(15)
    assert quote.premium.net < policy.premium  # one more claim-free year


def test_renew_links_both_terms_and_records_events() -> None:
    policy = issue_policy()
    policy.pull_events()
    quote = renewal_quote(policy, TPL, days_before(7), quote_id=fixed_id("qte", 2))
    new = policy.renew(quote, "1021-1405-000002", days_before(7), CLERK, new_policy_id=fixed_id("pol", 2))
    assert (policy.status, policy.renewed_by) == ("renewed", new.id)
    assert (new.status, new.renewal_of, new.term_start, new.term_end) == (
        "active", policy.id, TERM_END + DAY, dt.date(2028, 3, 19))
    assert quote.status == "used"
    assert new.history[0].reason == "renewal of 1021-1405-000001"
    assert policy.history[-1].reason == "renewed by 1021-1405-000002"
    [renewed] = policy.pull_events()
    assert renewed.type == "policy.renewed"
    assert {k: renewed.payload[k] for k in ("old_policy_id", "new_policy_id", "holder_id", "new_term_start",
                                            "new_term_end", "premium", "new_policy_number")} == {
        "old_policy_id": policy.id, "new_policy_id": new.id, "holder_id": HOLDER, "new_term_start": "2027-03-21",
        "new_term_end": "2028-03-19", "premium": 68_425_000, "new_policy_number": "1021-1405-000002"}
    [issued] = new.pull_events()
    assert issued.type == "policy.issued" and issued.payload["renewal_of"] == policy.id


def test_renew_refuses_foreign_or_expired_quotes_and_expired_terms() -> None:
    policy = issue_policy()
    other = make_quote(today=days_before(7), term_start=TERM_END + DAY, renewal_of=fixed_id("pol", 8), n=5)
    with pytest.raises(ValidationError) as refused:
        policy.renew(other, "1021-1405-000002", days_before(7), CLERK)
    assert refused.value.violations[0].field == "quote_id"
    stale = renewal_quote(policy, TPL, days_before(40))
    with pytest.raises(InvalidTransition) as raised:
        policy.renew(stale, "1021-1405-000002", days_before(7), CLERK)
    assert raised.value.code == "QUOTE_EXPIRED"
    late = renewal_quote(policy, TPL, TERM_END)
    with pytest.raises(InvalidTransition) as raised:
        policy.renew(late, "1021-1405-000002", TERM_END + DAY, CLERK)
    assert raised.value.code == "POLICY_INVALID_TRANSITION"
    assert policy.status == "active" and late.status == "open"


def test_lapse_only_after_the_end_date() -> None:
    policy = issue_policy()
    with pytest.raises(InvalidTransition) as raised:
        policy.lapse(TERM_END)
    assert raised.value.code == "POLICY_INVALID_TRANSITION"
    policy.pull_events()
    policy.lapse(TERM_END + DAY)
    [event] = policy.pull_events()
    assert event.type == "policy.lapsed"
    assert (event.payload["term_end"], event.payload["expired_at"], event.payload["lapsed_on"]) == (
        "2027-03-20", "2027-03-20T20:30:00Z", "2027-03-21")
    assert (policy.history[-1].kind, policy.history[-1].by) == ("lapsed", "system")


def test_travel_cover_is_not_renewed() -> None:
    policy = issue_policy("travel", days=30)
    assert policy.due_renewal_window(policy.term_end) is None
    with pytest.raises(InvalidTransition) as raised:
        renewal_quote(policy, get_product("travel"), TODAY)
    assert raised.value.code == "POLICY_INVALID_TRANSITION"
