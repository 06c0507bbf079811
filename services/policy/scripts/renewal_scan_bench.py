"""Load N policies (``insert_policies_bulk``) with a share expiring inside the renewal scan range.

    MONGODB_URI=mongodb://127.0.0.1:27991/ MONGODB_DB_SUFFIX=_bench \\
        .venv/bin/python services/policy/scripts/renewal_scan_bench.py --count 100000 --as-of 2026-11-22
    /usr/bin/time -v .venv/bin/python -m peyvand_policy.entrypoints.jobs_main renewal --as-of 2026-11-22

Not a test: a measurement aid for the scan's time and memory at scale.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import time

from peyvand_policy.adapters.bulk import insert_policies_bulk
from peyvand_policy.adapters.documents import ensure_indexes
from peyvand_policy.domain.policy import Policy
from peyvand_policy.domain.products import get_product
from peyvand_policy.domain.quote import Quote
from peyvand_policy.domain.rating import term_end_for
from peyvand_runtime import store
from peyvand_runtime.ids import new_id
from peyvand_runtime.settings import ProcessSettings


def policies(count: int, as_of: dt.date, share_in_range: float, seed: int = 7):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    product = get_product("motor_tpl")
    for i in range(count):
        in_range = rng.random() < share_in_range
        days_ahead = rng.randint(0, 45) if in_range else rng.randint(46, 364)
        end = as_of + dt.timedelta(days=days_ahead)
        start = end - dt.timedelta(days=364)
        holder = new_id("cus")
        quote = Quote.create(product=product, holder_id=holder, insured_ids=(holder,), agent_id=f"agt_{i % 500:026d}",
                             branch_code=f"{1000 + i % 40}", inputs={"vehicle_type": "passenger_car", "usage": "personal",
                                                                      "engine_cc": 1600, "no_claims_years": i % 10},
                             term_start=start, term_end=term_end_for(product, start), today=start)
        policy = Policy.issue(quote, f"{quote.branch_code}-1404-{i + 1:06d}", start, "system")
        yield dataclasses.replace(policy, term_end=end) if policy.term_end != end else policy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--as-of", default="2026-11-22")
    parser.add_argument("--share", type=float, default=0.08)
    args = parser.parse_args()
    database = store.connect("policy", ProcessSettings())
    ensure_indexes(database)
    started = time.monotonic()
    inserted = insert_policies_bulk(database, policies(args.count, dt.date.fromisoformat(args.as_of), args.share))
    print(f"inserted {inserted} policies in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
