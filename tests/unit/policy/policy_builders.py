"""Shared builders for the policy domain tests: fixed ids, sample inputs, quotes and issued policies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand_policy.domain.policy import Policy
from peyvand_policy.domain.products import get_product
from peyvand_policy.domain.quote import Quote
from peyvand_policy.domain.rating import term_end_for


def fixed_id(prefix: str, n: int) -> str:
    return f"{prefix}_{n:026d}"


HOLDER = fixed_id("cus", 1)
SPOUSE = fixed_id("cus", 2)
CHILD = fixed_id("cus", 3)
AGENT = fixed_id("agt", 1)
BRANCH = "1021"
CLERK = fixed_id("usr", 1)
TODAY = dt.date(2026, 3, 21)  # 1405/01/01
TERM_END = dt.date(2027, 3, 20)  # 1405/12/29: a 12-month term from 1405/01/01

SAMPLE_INPUTS: dict[str, dict[str, Any]] = {
    "motor_tpl": {"vehicle_type": "passenger_car", "usage": "personal", "engine_cc": 1600, "no_claims_years": 3},
    "motor_hull": {"vehicle_value": 15_000_000_000, "vehicle_type": "passenger_car", "vehicle_age": 4,
                   "deductible_percent": 10, "no_claims_years": 0},
    "health_supp": {"plan_tier": "silver", "age": 40, "insured_count": 1},
    "life_term": {"sum_insured": 10_000_000_000, "age": 35, "cover_years": 10, "smoker": False},
    "fire_home": {"building_value": 20_000_000_000, "contents_value": 3_000_000_000,
                  "construction_type": "masonry", "risk_zone": 3},
    "travel": {"destination_zone": "schengen", "age": 30},
}


def make_quote(
    product_code: str = "motor_tpl",
    *,
    today: dt.date = TODAY,
    term_start: dt.date | None = None,
    days: int = 30,
    inputs: dict[str, Any] | None = None,
    insured_ids: tuple[str, ...] = (HOLDER,),
    renewal_of: str | None = None,
    n: int = 1,
) -> Quote:
    product = get_product(product_code)
    start = term_start or today
    return Quote.create(
        product=product,
        holder_id=HOLDER,
        insured_ids=insured_ids,
        agent_id=AGENT,
        branch_code=BRANCH,
        inputs=inputs if inputs is not None else dict(SAMPLE_INPUTS[product_code]),
        term_start=start,
        term_end=term_end_for(product, start, days),
        today=today,
        renewal_of=renewal_of,
        quote_id=fixed_id("qte", n),
    )


def issue_policy(product_code: str = "motor_tpl", *, today: dt.date = TODAY, n: int = 1, **quote_args: Any) -> Policy:
    quote = make_quote(product_code, today=today, n=n, **quote_args)
    policy = Policy.issue(quote, f"{BRANCH}-1405-{n:06d}", today, CLERK, policy_id=fixed_id("pol", n))
    return policy
