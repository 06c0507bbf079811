"""Quotes: priced offers valid for 15 Tehran days (never past the term start), used at most once."""

from __future__ import annotations

import datetime as dt

import pytest
from peyvand_policy.domain.products import get_product
from peyvand_policy.domain.quote import Quote
from peyvand_runtime.domain import InvalidTransition, ValidationError
from policy_builders import AGENT, BRANCH, HOLDER, SPOUSE, TERM_END, TODAY, fixed_id, make_quote

DAY = dt.timedelta(days=1)


def test_a_quote_is_priced_open_and_valid_for_fifteen_days() -> None:
    quote = make_quote(term_start=TODAY + 30 * DAY)
    assert quote.id == fixed_id("qte", 1)
    assert quote.status == "open"
    assert quote.valid_until == TODAY + 15 * DAY
    assert quote.premium.net == 68_425_000
    assert quote.is_valid(TODAY + 15 * DAY)
    assert not quote.is_valid(TODAY + 16 * DAY)


def test_new_business_quote_is_valid_no_later_than_its_term_start() -> None:
    quote = make_quote(term_start=TODAY + 5 * DAY)
    assert quote.valid_until == TODAY + 5 * DAY


def test_renewal_quote_is_valid_no_later_than_the_old_terms_last_day() -> None:
    quote = make_quote(term_start=TODAY + 10 * DAY, renewal_of=fixed_id("pol", 9))
    assert quote.valid_until == TODAY + 9 * DAY


def test_generated_ids_carry_the_quote_prefix() -> None:
    product = get_product("motor_tpl")
    quote = Quote.create(product=product, holder_id=HOLDER, insured_ids=[HOLDER], agent_id=AGENT, branch_code="۱۰۲۱",
                         inputs={"vehicle_type": "passenger_car", "usage": "personal", "engine_cc": "۱۶۰۰",
                                 "no_claims_years": 3},
                         term_start=TODAY, term_end=TERM_END, today=TODAY)
    assert quote.id.startswith("qte_") and len(quote.id) == 30
    assert quote.branch_code == "1021"
    assert quote.inputs["engine_cc"] == 1600


def test_quoted_event_carries_the_offer() -> None:
    quote = make_quote()
    [event] = quote.pull_events()
    assert event.type == "policy.quoted"
    assert event.payload == {
        "quote_id": quote.id, "product_code": "motor_tpl", "holder_id": HOLDER, "insured_ids": [HOLDER],
        "agent_id": AGENT, "branch_code": BRANCH, "term_start": "2026-03-21", "term_end": "2027-03-20",
        "net_premium": 68_425_000, "vat": 6_842_500, "total_premium": 75_267_500,
        "valid_until": "2026-03-21", "renewal_of": None,
    }


def test_a_used_quote_cannot_be_used_again() -> None:
    quote = make_quote(term_start=TODAY + 20 * DAY)
    quote.mark_used(fixed_id("pol", 1), TODAY)
    assert (quote.status, quote.policy_id) == ("used", fixed_id("pol", 1))
    with pytest.raises(InvalidTransition) as raised:
        quote.mark_used(fixed_id("pol", 2), TODAY)
    assert raised.value.code == "INVALID_TRANSITION"


def test_an_expired_quote_is_refused_with_quote_expired() -> None:
    quote = make_quote(term_start=TODAY + 20 * DAY)
    with pytest.raises(InvalidTransition) as raised:
        quote.mark_used(fixed_id("pol", 1), TODAY + 16 * DAY)
    assert raised.value.code == "QUOTE_EXPIRED"
    assert quote.status == "open"


def test_sweep_expires_only_quotes_past_validity() -> None:
    quote = make_quote(term_start=TODAY + 20 * DAY)
    assert quote.expire(TODAY + 15 * DAY) is False
    assert quote.expire(TODAY + 16 * DAY) is True
    assert quote.status == "expired"
    assert quote.expire(TODAY + 17 * DAY) is False


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as raised:
        Quote.create(product=get_product("health_supp"), holder_id="12345", insured_ids=[SPOUSE, SPOUSE, "x"],
                     agent_id=fixed_id("usr", 1), branch_code="10-21",
                     inputs={"plan_tier": "silver", "age": 40, "insured_count": 2},
                     term_start=TODAY - DAY, term_end=TERM_END, today=TODAY, renewal_of="pol_1")
    fields = [v.field for v in raised.value.violations]
    assert fields == ["holder_id", "insured_ids[1]", "insured_ids[2]", "agent_id", "branch_code", "renewal_of",
                      "term_start", "term_end", "inputs.insured_count"]


def test_health_insured_count_matches_the_insured_people() -> None:
    quote = make_quote("health_supp", inputs={"plan_tier": "gold", "age": 40, "insured_count": 2},
                       insured_ids=(HOLDER, SPOUSE))
    assert quote.insured_ids == (HOLDER, SPOUSE)
