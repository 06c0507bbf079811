"""Mid-term money: endorsement pro-rata deltas (rounded up) and cancellation refunds (rounded down)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from peyvand_runtime.domain import ValidationError
from policy_builders import CHILD, CLERK, HOLDER, SPOUSE, TERM_END, TODAY, fixed_id, issue_policy

DAY = dt.timedelta(days=1)
HALF_YEAR = dt.date(2026, 9, 22)  # 1405/06/31: 180 of the 365 days are left, this day included
OLD = 68_425_000  # the sample motor TPL premium


def fields(error: ValidationError) -> list[str]:
    return [v.field for v in error.violations]


def test_endorsement_charges_the_remaining_share_rounded_up() -> None:
    policy = issue_policy()
    # (80,000,000 − 68,425,000) × 180 / 365 = 5,708,219.18 -> 5,708,220
    endorsement = policy.endorse({"inputs": {"usage": "taxi"}}, HALF_YEAR, 80_000_000, TODAY, CLERK,
                                 endorsement_id=fixed_id("end", 1))
    assert (endorsement.premium_delta, endorsement.vat_delta) == (5_708_220, 570_822)
    assert policy.premium == 80_000_000
    assert policy.premium_charged == OLD + 5_708_220
    assert policy.inputs["usage"] == "taxi"


def test_endorsement_return_premium_rounds_towards_zero() -> None:
    policy = issue_policy(inputs={"vehicle_type": "passenger_car", "usage": "taxi", "engine_cc": 1600,
                                  "no_claims_years": 3})
    old = policy.premium  # 85,532,000 (× 1.25 for taxi, rounded up)
    assert old == 85_532_000
    endorsement = policy.endorse({"inputs": {"usage": "personal"}}, HALF_YEAR, OLD, TODAY, CLERK)
    # (68,425,000 − 85,532,000) × 180 / 365 = −8,436,328.77 -> −8,436,328; VAT −843,632.8 -> −843,632
    assert (endorsement.premium_delta, endorsement.vat_delta) == (-8_436_328, -843_632)


def test_whole_rial_share_needs_no_rounding() -> None:
    policy = issue_policy()
    endorsement = policy.endorse({"inputs": {"engine_cc": 1700}}, TERM_END - 9 * DAY, OLD + 365_000, TODAY, CLERK)
    assert endorsement.premium_delta == 10 * 1_000  # 365,000 × 10 / 365


def test_endorsed_event_carries_the_change() -> None:
    policy = issue_policy()
    policy.pull_events()
    policy.endorse({"inputs": {"usage": "taxi"}}, HALF_YEAR, 80_000_000, TODAY, CLERK, endorsement_id=fixed_id("end", 1))
    [event] = policy.pull_events()
    assert event.type == "policy.endorsed"
    assert {k: event.payload[k] for k in ("policy_id", "endorsement_id", "effective_date", "changes", "old_premium",
                                          "new_premium", "premium_delta", "vat_delta", "premium_charged")} == {
        "policy_id": policy.id, "endorsement_id": fixed_id("end", 1), "effective_date": "2026-09-22",
        "changes": {"inputs": {"usage": "taxi"}}, "old_premium": OLD, "new_premium": 80_000_000,
        "premium_delta": 5_708_220, "vat_delta": 570_822, "premium_charged": OLD + 5_708_220,
    }


def test_adding_an_insured_person_to_health_cover() -> None:
    policy = issue_policy("health_supp", inputs={"plan_tier": "silver", "age": 40, "insured_count": 2},
                          insured_ids=(HOLDER, SPOUSE))
    policy.endorse({"insured_ids": [HOLDER, SPOUSE, CHILD], "inputs": {"insured_count": 3}}, HALF_YEAR,
                   270_000_000, TODAY, CLERK)
    assert policy.insured_ids == (HOLDER, SPOUSE, CHILD)
    assert policy.endorsements[0].changes == {"inputs": {"insured_count": 3}, "insured_ids": [HOLDER, SPOUSE, CHILD]}


def test_bad_endorsements_name_their_fields() -> None:
    policy = issue_policy("health_supp", inputs={"plan_tier": "silver", "age": 40, "insured_count": 2},
                          insured_ids=(HOLDER, SPOUSE))
    with pytest.raises(ValidationError) as raised:
        policy.endorse({"holder_id": SPOUSE, "inputs": {"plan_tier": "platinum"}, "insured_ids": [HOLDER, "x"]},
                       TODAY - DAY, 0, TODAY, CLERK)
    assert fields(raised.value) == ["changes.holder_id", "changes.inputs.plan_tier", "changes.insured_ids[1]",
                                    "effective_date", "new_annual_premium"]
    with pytest.raises(ValidationError) as raised:
        policy.endorse({"insured_ids": [HOLDER]}, TODAY, 90_000_000, TODAY, CLERK)
    assert fields(raised.value) == ["changes.inputs.insured_count"]
    with pytest.raises(ValidationError) as raised:
        policy.endorse({}, TERM_END + DAY, 90_000_000, TODAY, CLERK)
    assert fields(raised.value) == ["changes", "effective_date"]
    assert policy.endorsements == [] and policy.premium_charged == policy.premium


def test_endorsements_may_not_go_back_before_an_earlier_one() -> None:
    policy = issue_policy()
    policy.endorse({"inputs": {"usage": "taxi"}}, HALF_YEAR, 80_000_000, TODAY, CLERK)
    with pytest.raises(ValidationError) as raised:
        policy.endorse({"inputs": {"usage": "personal"}}, HALF_YEAR - DAY, OLD, TODAY, CLERK)
    assert fields(raised.value) == ["effective_date"]
    with pytest.raises(ValidationError):
        policy.cancel("sold", HALF_YEAR - DAY, TODAY, CLERK)


def test_cancellation_refunds_unearned_premium_rounded_down() -> None:
    policy = issue_policy()
    policy.pull_events()
    # cover stops from 2026-12-11: 100 days unearned; 68,425,000 × 100 / 365 = 18,746,575.34
    cancellation = policy.cancel("  sold the car ", dt.date(2026, 12, 11), dt.date(2026, 12, 1), CLERK)
    assert (cancellation.refund, cancellation.vat_refund) == (18_746_575, 1_874_657)
    assert cancellation.reason == "sold the car"
    [event] = policy.pull_events()
    assert event.type == "policy.cancelled"
    assert (event.payload["refund"], event.payload["vat_refund"], event.payload["refund_total"]) == (
        18_746_575, 1_874_657, 20_621_232)
    assert (event.payload["effective_date"], event.payload["on"], event.payload["reason"]) == (
        "2026-12-11", "2026-12-01", "sold the car")


def test_cancelling_before_cover_starts_refunds_everything() -> None:
    start = TODAY + 10 * DAY
    policy = issue_policy(term_start=start)
    assert policy.cancel("changed mind", start, TODAY, CLERK).refund == policy.premium


def test_cancel_on_the_last_day_refunds_one_day_and_needs_a_reason() -> None:
    policy = issue_policy()
    with pytest.raises(ValidationError) as raised:
        policy.cancel(" ", TODAY - DAY, TODAY, CLERK)
    assert fields(raised.value) == ["reason", "effective_date"]
    assert policy.cancel("moved abroad", TERM_END, TERM_END, CLERK).refund == 187_465  # 68,425,000 / 365 = 187,465.75


@given(effective=st.integers(0, 364), cancel_after=st.integers(0, 364), new_premium=st.integers(1_000_000, 500_000_000))
def test_charged_minus_refund_is_the_earned_premium(effective: int, cancel_after: int, new_premium: int) -> None:
    """Whatever the dates, the insurer keeps what the days at each rate earned, within two rials."""
    policy = issue_policy()
    endorse_on = TODAY + effective * DAY
    cancel_on = min(endorse_on + cancel_after * DAY, TERM_END)
    policy.endorse({"inputs": {"usage": "taxi"}}, endorse_on, new_premium, TODAY, CLERK)
    refund = policy.cancel("check", cancel_on, TODAY, CLERK).refund
    earned = Fraction(OLD * effective + new_premium * (cancel_on - endorse_on).days, 365)
    assert 0 <= refund <= policy.premium_charged
    assert abs(policy.premium_charged - refund - earned) < 2
