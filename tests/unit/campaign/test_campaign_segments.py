"""Segment rules: validation paths, Python evaluation, and a MongoDB filter that agrees with it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from peyvand_campaign.domain.profiles import segment_profile
from peyvand_campaign.domain.segments import (
    AGE_BANDS,
    BAND_LABELS,
    age_band,
    age_on,
    matches,
    to_mongo_filter,
    validate_rule,
    years_ago,
)
from peyvand_runtime.domain import ValidationError

TODAY = dt.date(2026, 6, 10)
MISSING = object()


# --- a tiny pure MongoDB matcher for exactly the operators the filter may emit -------------
def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return type(a) is type(b) and a == b


def _in(value: Any, options: list[Any]) -> bool:
    if value is MISSING or value is None:
        return None in options
    if isinstance(value, list):
        return any(_same(e, o) for e in value for o in options) or any(o == value for o in options)
    return any(_same(value, o) for o in options)


def _compare(value: Any, op: str, bound: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if item is MISSING or item is None or isinstance(item, bool) or type(item) is not type(bound):
            continue
        if (op == "$gte" and item >= bound) or (op == "$lte" and item <= bound):
            return True
    return False


def mongo_match(doc: dict[str, Any], flt: dict[str, Any]) -> bool:
    for key, cond in flt.items():
        if key == "$and":
            ok = all(mongo_match(doc, c) for c in cond)
        elif key == "$or":
            ok = any(mongo_match(doc, c) for c in cond)
        else:
            value = doc.get(key, MISSING)
            ok = True
            for op, arg in cond.items():
                if op == "$exists":
                    ok = ok and ((value is not MISSING) is arg)
                elif op == "$in":
                    ok = ok and _in(value, arg)
                elif op == "$nin":
                    ok = ok and not _in(value, arg)
                elif op in ("$gte", "$lte"):
                    ok = ok and _compare(value, op, arg)
                else:
                    raise AssertionError(f"unexpected operator {op}")
        if not ok:
            return False
    return True


def operators_in(flt: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(flt, dict):
        for key, value in flt.items():
            if key.startswith("$"):
                found.add(key)
            found |= operators_in(value)
    elif isinstance(flt, list):
        for item in flt:
            found |= operators_in(item)
    return found


# --- validation -----------------------------------------------------------------------------
def violation_fields(rule: Any) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        validate_rule(rule)
    return {v.field for v in caught.value.violations}


@pytest.mark.parametrize("rule", [None, {}, [], "city"])
def test_an_empty_rule_names_rule(rule: Any) -> None:
    assert violation_fields(rule) == {"rule"}


def test_bad_parts_are_named_by_path() -> None:
    rule = {"all": [
        {"field": "city", "op": "in", "value": ["تهران"]},
        {"field": "city", "op": "like", "value": "ته"},
        {"any": [{"field": "shoe_size", "op": "eq", "value": 42}, {"field": "premium", "op": "gte", "value": "big"}]},
        {"all": []},
        {"field": "roles", "op": "eq", "value": "holder"},
        {"field": "age_band", "op": "in", "value": ["30-40"]},
        {"field": "term_end", "op": "between", "value": [30, 0]},
        {"field": "consent.fax.marketing", "op": "eq", "value": True},
        {"field": "city", "op": "in", "value": ["x"], "extra": 1},
        {"field": "tags", "op": "exists"},
    ]}
    assert violation_fields(rule) == {
        "rule.all[1].op", "rule.all[2].any[0].field", "rule.all[2].any[1].value", "rule.all[3].all",
        "rule.all[4].op", "rule.all[5].value", "rule.all[6].value", "rule.all[7].field", "rule.all[8].extra",
        "rule.all[9].value",
    }


def test_a_group_cannot_also_be_a_leaf_and_nesting_is_bounded() -> None:
    assert violation_fields({"all": [{"field": "city", "op": "exists", "value": True}], "any": []}) == {"rule"}
    deep: dict[str, Any] = {"field": "city", "op": "exists", "value": True}
    for _ in range(8):
        deep = {"all": [deep]}
    assert any(f.endswith(".all") for f in violation_fields(deep))


def test_a_valid_rule_passes() -> None:
    validate_rule({"any": [{"field": "consent.sms.marketing", "op": "eq", "value": True},
                           {"field": "premium", "op": "between", "value": [0, 10_000_000]}]})


# --- evaluation and agreement ---------------------------------------------------------------
PROFILES: list[dict[str, Any]] = [
    {"roles": ["holder"], "city": "تهران", "province": "تهران", "birth_date": "1990-06-10", "tags": ["vip"],
     "consent_sms_marketing": True, "branch_code": "THR-01", "agent_id": "agt_1", "product_lines": ["motor"],
     "policy_statuses": ["active"], "next_term_end": "2026-07-10", "total_premium": 12_500_000},
    {"roles": ["holder", "insured"], "city": "شیراز", "province": "فارس", "birth_date": "2008-02-29", "tags": [],
     "consent_sms_marketing": False, "branch_code": "SHZ-02", "agent_id": None, "product_lines": ["health", "life"],
     "policy_statuses": ["active", "lapsed"], "next_term_end": "2026-06-11", "total_premium": 3_000_000},
    {"roles": [], "city": None, "birth_date": None, "product_lines": [], "policy_statuses": ["cancelled"],
     "next_term_end": None, "total_premium": 0},
    {},
    {"roles": "beneficiary", "city": "مشهد", "birth_date": "1961-06-11", "total_premium": 250_000_000,
     "consent_sms_marketing": True, "next_term_end": "2026-05-01"},
]

RULES: list[dict[str, Any]] = [
    {"field": "city", "op": "eq", "value": "تهران"},
    {"field": "city", "op": "in", "value": ["تهران", "شیراز"]},
    {"field": "city", "op": "not_in", "value": ["تهران"]},
    {"field": "city", "op": "exists", "value": True},
    {"field": "city", "op": "exists", "value": False},
    {"field": "roles", "op": "contains", "value": "holder"},
    {"field": "roles", "op": "not_in", "value": ["insured"]},
    {"field": "tags", "op": "in", "value": ["vip", "gold"]},
    {"field": "tags", "op": "exists", "value": True},
    {"field": "age_band", "op": "eq", "value": "35-44"},
    {"field": "age_band", "op": "in", "value": ["0-17", "18-24", "65+"]},
    {"field": "age_band", "op": "not_in", "value": ["35-44"]},
    {"field": "consent.sms.marketing", "op": "eq", "value": True},
    {"field": "consent.sms.marketing", "op": "eq", "value": False},
    {"field": "agent_id", "op": "exists", "value": False},
    {"field": "product_line", "op": "contains", "value": "motor"},
    {"field": "policy_status", "op": "not_in", "value": ["lapsed", "cancelled"]},
    {"field": "term_end", "op": "between", "value": [0, 30]},
    {"field": "term_end", "op": "lte", "value": 1},
    {"field": "term_end", "op": "gte", "value": 0},
    {"field": "term_end", "op": "eq", "value": 30},
    {"field": "premium", "op": "gte", "value": 10_000_000},
    {"field": "premium", "op": "between", "value": [1, 5_000_000]},
    {"field": "premium", "op": "eq", "value": 0},
    {"all": [{"field": "roles", "op": "contains", "value": "holder"},
             {"any": [{"field": "city", "op": "eq", "value": "تهران"},
                      {"field": "product_line", "op": "in", "value": ["life"]}]}]},
]


@pytest.mark.parametrize("rule", RULES)
def test_mongo_filter_selects_exactly_what_matches_accepts(rule: dict[str, Any]) -> None:
    flt = to_mongo_filter(rule, TODAY)
    assert operators_in(flt) <= {"$in", "$nin", "$gte", "$lte", "$exists", "$or", "$and"}
    for profile in PROFILES:
        assert mongo_match(profile, flt) == matches(rule, profile, TODAY), (rule, profile)


def test_sample_answers_a_marketer_would_check() -> None:
    tehran_holder, shiraz_teen, empty, nothing, retiree = PROFILES
    rule = {"all": [{"field": "consent.sms.marketing", "op": "eq", "value": True},
                    {"field": "term_end", "op": "between", "value": [0, 30]}]}
    assert [matches(rule, p, TODAY) for p in PROFILES] == [True, False, False, False, False]
    assert matches({"field": "age_band", "op": "eq", "value": "35-44"}, tehran_holder, TODAY)  # 36 today
    assert matches({"field": "age_band", "op": "eq", "value": "18-24"}, shiraz_teen, TODAY)  # 18 since 1 March
    assert matches({"field": "age_band", "op": "eq", "value": "55-64"}, retiree, TODAY)  # 65 only tomorrow
    assert not matches({"field": "city", "op": "not_in", "value": ["تهران"]}, empty, TODAY)


PROFILE_STRATEGY = st.fixed_dictionaries({}, optional={
    "city": st.sampled_from(["تهران", "شیراز", None]),
    "roles": st.one_of(st.lists(st.sampled_from(["holder", "insured", "payer"]), max_size=3), st.none()),
    "tags": st.lists(st.sampled_from(["vip", "gold"]), max_size=2),
    "birth_date": st.one_of(st.dates(dt.date(1930, 1, 1), dt.date(2030, 1, 1)).map(dt.date.isoformat), st.none()),
    "consent_sms_marketing": st.one_of(st.booleans(), st.none()),
    "next_term_end": st.one_of(st.dates(dt.date(2025, 1, 1), dt.date(2028, 1, 1)).map(dt.date.isoformat),
                               st.none()),
    "total_premium": st.one_of(st.integers(0, 50_000_000), st.none()),
})
LEAF_STRATEGY = st.one_of(
    st.builds(lambda op, v: {"field": "city", "op": op, "value": v},
              st.sampled_from(["in", "not_in"]), st.lists(st.sampled_from(["تهران", "شیراز", "قم"]), min_size=1)),
    st.builds(lambda v: {"field": "roles", "op": "contains", "value": v}, st.sampled_from(["holder", "payer"])),
    st.builds(lambda op, v: {"field": "tags", "op": op, "value": v},
              st.sampled_from(["in", "not_in"]), st.lists(st.sampled_from(["vip", "gold"]), min_size=1)),
    st.builds(lambda op, v: {"field": "age_band", "op": op, "value": v},
              st.sampled_from(["in", "not_in"]), st.lists(st.sampled_from(BAND_LABELS), min_size=1)),
    st.builds(lambda v: {"field": "consent.sms.marketing", "op": "eq", "value": v}, st.booleans()),
    st.builds(lambda f, v: {"field": f, "op": "exists", "value": v},
              st.sampled_from(["city", "roles", "tags", "age_band", "term_end", "premium"]), st.booleans()),
    st.builds(lambda op, v: {"field": "term_end", "op": op, "value": v},
              st.sampled_from(["gte", "lte", "eq"]), st.integers(-400, 400)),
    st.builds(lambda a, b: {"field": "term_end", "op": "between", "value": sorted([a, b])},
              st.integers(-400, 400), st.integers(-400, 400)),
    st.builds(lambda op, v: {"field": "premium", "op": op, "value": v},
              st.sampled_from(["gte", "lte", "eq"]), st.integers(0, 50_000_000)),
)
RULE_STRATEGY = st.recursive(LEAF_STRATEGY, lambda children: st.one_of(
    st.builds(lambda c: {"all": c}, st.lists(children, min_size=1, max_size=3)),
    st.builds(lambda c: {"any": c}, st.lists(children, min_size=1, max_size=3)),
), max_leaves=6)


@settings(max_examples=300)
@given(RULE_STRATEGY, PROFILE_STRATEGY, st.dates(dt.date(2024, 1, 1), dt.date(2028, 12, 31)))
def test_filter_and_matches_agree_on_generated_rules_and_profiles(rule: dict[str, Any], profile: dict[str, Any], today: dt.date) -> None:
    assert mongo_match(profile, to_mongo_filter(rule, today)) == matches(rule, profile, today)


@given(st.dates(dt.date(1930, 1, 1), dt.date(2026, 12, 31)), st.dates(dt.date(2024, 1, 1), dt.date(2028, 12, 31)))
def test_age_band_ranges_agree_with_age_arithmetic(born: dt.date, today: dt.date) -> None:
    age = age_on(born, today)
    for low in range(0, 100, 7):
        assert (age >= low) == (born <= years_ago(today, low))
    band = age_band(born, today)
    if age < 0:
        assert band is None
    else:
        ((low, high),) = [(lo, hi) for label, lo, hi in AGE_BANDS if label == band]
        assert low <= age and (high is None or age <= high)


def test_leap_day_birthdays_age_on_the_first_of_march_in_common_years() -> None:
    born = dt.date(2008, 2, 29)
    assert age_on(born, dt.date(2026, 2, 28)) == 17
    assert age_on(born, dt.date(2026, 3, 1)) == 18


def test_segment_profile_flattens_customer_and_policies() -> None:
    customer = {"id": "cus_1", "roles": ["holder"], "city": "تهران", "province": "تهران", "birth_date": "1990-06-10",
                "branch_code": "THR-01", "agent_id": "agt_1", "language": "fa",
                "consents": [{"channel": "sms", "purpose": "marketing", "granted": True}], "email": ""}
    policies = [
        {"status": "active", "product_line": "motor", "term_end": "2026-07-10", "premium": 12_000_000},
        {"status": "active", "product_line": "fire", "term_end": dt.date(2027, 1, 1), "premium": 500_000},
        {"status": "lapsed", "product_line": "life", "term_end": "2026-01-01", "premium": 9_000_000},
    ]
    profile = segment_profile(customer, policies, TODAY, tags=["vip"])
    assert profile["product_lines"] == ["fire", "life", "motor"]
    assert profile["policy_statuses"] == ["active", "lapsed"]
    assert profile["next_term_end"] == "2026-07-10" and profile["total_premium"] == 12_500_000
    assert profile["consent_sms_marketing"] is True and profile["consent_email_marketing"] is False
    assert "email" not in profile and "mobile" not in profile
    rule = {"all": [{"field": "product_line", "op": "contains", "value": "motor"},
                    {"field": "term_end", "op": "lte", "value": 30}]}
    assert matches(rule, profile, TODAY) and mongo_match(profile, to_mongo_filter(rule, TODAY))


def test_to_mongo_filter_refuses_an_invalid_rule() -> None:
    with pytest.raises(ValidationError):
        to_mongo_filter({"field": "city", "op": "regex", "value": "^ته"}, TODAY)


def test_age_band_filter_uses_inclusive_iso_bounds() -> None:
    flt = to_mongo_filter({"field": "age_band", "op": "eq", "value": "18-24"}, TODAY)
    assert flt == {"birth_date": {"$lte": "2008-06-10", "$gte": "2001-06-11"}}
