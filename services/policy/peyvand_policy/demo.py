"""Demo data: realistic policies for given customers, with expiries spread so renewals are due today.

``seed_demo(db, customers, today, count)`` is called by ``make run`` after the customer demo
data exists. Policies are issued as if on their term start (back-dated), through the same
domain and repositories as real business, so ``policy.issued`` events flow to the other
services. Idempotent: a second call finds its mark and does nothing; ids are derived from
the customer and the index, so a call interrupted half-way completes on the next call.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from peyvand_runtime.ids import is_id
from peyvand_runtime.tehran_time import utc_now
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from peyvand_policy.adapters.documents import ensure_indexes
from peyvand_policy.adapters.numbers import next_policy_number
from peyvand_policy.adapters.repositories import PolicyRepository, QuoteRepository
from peyvand_policy.domain.numbering import is_branch_code
from peyvand_policy.domain.policy import Policy
from peyvand_policy.domain.products import get_product
from peyvand_policy.domain.quote import Quote
from peyvand_policy.domain.rating import term_end_for
from peyvand_policy.service_layer.context import derived_id

log = logging.getLogger(__name__)
MARKS = "demo_seed"
MARK_ID = "policy-demo"
_PRODUCTS = ("motor_tpl", "motor_tpl", "motor_hull", "health_supp", "fire_home", "life_term", "travel")
_VEHICLES = ("passenger_car", "passenger_car", "pickup", "motorcycle")


def _age(customer: dict[str, Any], today: dt.date, index: int) -> int:
    try:
        born = dt.date.fromisoformat(str(customer.get("birth_date") or ""))
        return max(18, min(65, (today - born).days // 365))
    except ValueError:
        return 25 + index % 35


def _inputs(product_code: str, customer: dict[str, Any], today: dt.date, i: int) -> dict[str, Any]:
    age = _age(customer, today, i)
    return {
        "motor_tpl": {"vehicle_type": _VEHICLES[i % 4], "usage": ("personal", "personal", "taxi")[i % 3],
                      "engine_cc": (1500, 1600, 1800, 2000, 2500)[i % 5], "no_claims_years": i % 12},
        "motor_hull": {"vehicle_value": (8, 12, 15, 25, 40)[i % 5] * 1_000_000_000, "vehicle_type": ("passenger_car", "suv")[i % 2],
                       "vehicle_age": i % 9, "deductible_percent": (10, 20, 30)[i % 3], "no_claims_years": i % 5},
        "health_supp": {"plan_tier": ("basic", "silver", "gold")[i % 3], "age": min(age, 70), "insured_count": 1},
        "fire_home": {"building_value": (10, 20, 35)[i % 3] * 1_000_000_000, "contents_value": (1, 3, 5)[i % 3] * 1_000_000_000,
                      "construction_type": ("steel_concrete", "masonry")[i % 2], "risk_zone": 1 + i % 4},
        "life_term": {"sum_insured": (5, 10, 20)[i % 3] * 1_000_000_000, "age": age, "cover_years": 10, "smoker": i % 7 == 0},
        "travel": {"destination_zone": ("neighbours", "schengen", "worldwide")[i % 3], "age": age},
    }[product_code]


def _term(product_code: str, today: dt.date, i: int) -> tuple[dt.date, dt.date]:
    """Start dates spread over the last ~13 months: about 1 in 8 annual terms ends within 45
    days (some on exactly 45, 30, 15, 7 and 1 days), a few have already ended."""
    product = get_product(product_code)
    if product.term.unit == "days":
        start = today - dt.timedelta(days=i % 20)
        return start, term_end_for(product, start, 15 + i % 30)
    back = (320, 335, 350, 358, 364, 300, 200, 120, 60, 10, 370, 380)[i % 12] + (i // 12) % 5
    start = today - dt.timedelta(days=back)
    return start, term_end_for(product, start)


def seed_demo(db: Database, customers: Sequence[dict[str, Any]], today: dt.date, count: int) -> int:
    """Issue ``count`` demo policies for ``customers`` (dicts with customer_id, agent_id,
    branch_code, optionally birth_date); returns how many were created (0 when already seeded)."""
    if db[MARKS].find_one({"_id": MARK_ID}):
        return 0
    usable = [c for c in customers if is_id(str(c.get("customer_id", "")), "cus") and is_id(str(c.get("agent_id", "")), "agt")
              and is_branch_code(str(c.get("branch_code", "")))]
    if not usable or count <= 0:
        return 0
    ensure_indexes(db)
    policies, quotes = PolicyRepository(db), QuoteRepository(db)
    created = 0
    now = utc_now()
    for i in range(count):
        customer = usable[i % len(usable)]
        product_code = _PRODUCTS[i % len(_PRODUCTS)]
        policy_id = derived_id("pol", "demo", customer["customer_id"], str(i))
        if policies.get(policy_id) is not None:
            continue
        start, end = _term(product_code, today, i)
        quote = Quote.create(
            product=get_product(product_code), holder_id=customer["customer_id"], insured_ids=(customer["customer_id"],),
            agent_id=customer["agent_id"], branch_code=customer["branch_code"], inputs=_inputs(product_code, customer, today, i),
            term_start=start, term_end=end, today=start, quote_id=derived_id("qte", "demo", customer["customer_id"], str(i)),
        )
        number = next_policy_number(db, quote.branch_code, start)
        policy = Policy.issue(quote, number, start, "system", policy_id=policy_id)
        try:
            quotes.add(quote, now)
        except DuplicateKeyError:
            pass
        try:
            policies.add(policy, now)
        except DuplicateKeyError:
            continue
        created += 1
    db[MARKS].update_one({"_id": MARK_ID}, {"$set": {"count": count, "created": created, "at": now}}, upsert=True)
    log.info("policy demo data seeded", extra={"policies": created})
    return created
