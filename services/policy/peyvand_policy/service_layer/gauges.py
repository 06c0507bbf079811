"""The policies-by-status-and-product gauge, read from the counters kept on every policy write."""

from __future__ import annotations

import time
from collections import Counter

from pymongo.database import Database

from peyvand_policy.adapters.documents import POLICIES, STATS
from peyvand_policy.service_layer import metrics


def refresh_policy_gauge(database: Database) -> dict[tuple[str, str], int]:
    """Set the gauge from ``policy_stats`` (a handful of rows: cheap at any collection size)."""
    started = time.monotonic()
    counts = {(str(r["status"]), str(r["product"])): int(r.get("count", 0)) for r in database[STATS].find({})}
    for (status, product), count in counts.items():
        metrics.POLICIES.labels(status, product).set(count)
    metrics.POLICIES_REFRESH_SECONDS.set(time.monotonic() - started)
    return counts


def recount_policy_stats(database: Database, page_size: int = 5_000) -> dict[tuple[str, str], int]:
    """Rebuild ``policy_stats`` from the policies themselves (offline repair; a full scan in
    ``_id`` pages with a two-field projection, so memory stays flat)."""
    counts: Counter[tuple[str, str]] = Counter()
    last = None
    while True:
        query = {"_id": {"$gt": last}} if last is not None else {}
        page = list(database[POLICIES].find(query, {"status": 1, "product_code": 1}).sort("_id", 1).limit(page_size))
        if not page:
            break
        counts.update((d["status"], d["product_code"]) for d in page)
        last = page[-1]["_id"]
    database[STATS].delete_many({})
    if counts:
        database[STATS].insert_many([{"_id": f"{s}|{p}", "status": s, "product": p, "count": n} for (s, p), n in counts.items()])
    return dict(counts)
