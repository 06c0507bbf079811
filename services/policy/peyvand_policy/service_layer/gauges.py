"""The policies-by-status-and-product gauge, read from the counters kept on every policy write,
and the repair of those counters from the policies themselves.

The repair (``recount_policy_stats``, the operator command ``jobs_main recount-stats``) runs
while policies are issued and change status. It never overwrites a row: it counts the policies,
then adds the difference with ``$inc`` to the rows no write touched meanwhile:

1. read every ``policy_stats`` row (*before*);
2. count every policy by (status, product) in ``_id``-sorted skip/limit pages with a two-field
   projection. On the embedded store an ``_id $gt`` continuation is a full scan per page
   (ADR 0001: 90–140 s per page at 1M); skip/limit walks the primary key. Policies are never
   deleted, but one inserted behind the position (a renewal's id derives from its quote, so it
   is not always the newest) shifts the next page back by one: a document whose ``_id`` is not
   above the last one counted was counted already and is dropped;
3. wait ``settle_seconds`` (default: the tally interval of ``DeferredStatusCounts`` + 1 s), so
   the counter write of every policy the scan saw has landed;
4. read the rows again (*after*). A row with the same ``(count, writes)`` before and after was
   not written during the scan (``row_inc`` bumps ``writes`` on every write), so no policy
   entered or left it and the scan's count is its true value: add ``scanned − after`` to it
   (one ``bulk_write``; a write landing after the read is an ``$inc`` too, and still adds up).
   A row that moved is left alone and reported *busy*: run the repair again at a quieter time.

What it cannot see: a counter write that lands more than ``settle_seconds`` after its policy
write (a tally whose flushes kept failing) is counted twice — once by this repair, once when it
lands. A row with ``count`` 0 is kept, not deleted: the gauge keeps showing 0 for it.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pymongo
from pymongo.database import Database

from peyvand_policy.adapters.documents import POLICIES, STATS
from peyvand_policy.adapters.status_counts import FLUSH_INTERVAL_SECONDS, row_id, row_inc
from peyvand_policy.service_layer import metrics
from peyvand_policy.service_layer.renewal_job import LeaseLost

log = logging.getLogger(__name__)

SETTLE_SECONDS = FLUSH_INTERVAL_SECONDS + 1.0
PAGE_SIZE = 5_000
PROGRESS_EVERY = 50_000
SCAN_PROJECTION = {"status": 1, "product_code": 1}

Key = tuple[str, str]


def refresh_policy_gauge(database: Database[Any]) -> dict[tuple[str, str], int]:
    """Set the gauge from ``policy_stats`` (a handful of rows: cheap at any collection size)."""
    started = time.monotonic()
    counts = {(str(r["status"]), str(r["product"])): int(r.get("count", 0)) for r in database[STATS].find({})}
    for (status, product), count in counts.items():
        metrics.POLICIES.labels(status, product).set(count)
    metrics.POLICIES_REFRESH_SECONDS.set(time.monotonic() - started)
    return counts


@dataclass
class RecountSummary:
    """What one repair did. ``repaired``: the ``$inc`` applied per row; ``busy``: rows written
    during the scan, left as they were."""

    scanned: int = 0
    seen_again: int = 0  # documents a shifted page showed a second time (dropped, not counted)
    counted: dict[Key, int] = field(default_factory=dict)
    repaired: dict[Key, int] = field(default_factory=dict)
    busy: list[Key] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; rows are named ``status|product``."""
        return {
            "scanned": self.scanned,
            "seen_again": self.seen_again,
            "counted": {row_id(*key): n for key, n in sorted(self.counted.items())},
            "repaired": {row_id(*key): delta for key, delta in sorted(self.repaired.items())},
            "busy": [row_id(*key) for key in self.busy],
            "seconds": round(self.seconds, 3),
        }


def _read_rows(database: Database[Any]) -> dict[Key, tuple[int, int]]:
    """Every counter row as ``(count, writes)`` (``writes`` is 0 on rows written before it existed)."""
    return {(str(r["status"]), str(r["product"])): (int(r.get("count", 0)), int(r.get("writes", 0)))
            for r in database[STATS].find({})}


def recount_policy_stats(
    database: Database[Any],
    *,
    page_size: int = PAGE_SIZE,
    settle_seconds: float = SETTLE_SECONDS,
    keep_lease: Callable[[], bool] | None = None,
    on_page: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RecountSummary:
    """Repair ``policy_stats`` from the policies, safely while policies are written (see the module doc).

    ``keep_lease`` is called before every page and before the write; False stops the run with
    ``LeaseLost`` (nothing written). ``on_page(scanned)`` is called after each page is counted.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    started = time.monotonic()
    summary = RecountSummary()

    def check_lease(where: str) -> None:
        if keep_lease is not None and not keep_lease():
            raise LeaseLost(f"policy counters repair lost its lease ({where}); nothing was written")

    before = _read_rows(database)
    log.info("policy counters repair started", extra={"rows": len(before), "page_size": page_size})
    counted: Counter[Key] = Counter()
    policies = database[POLICIES]
    skip, last, next_progress = 0, None, PROGRESS_EVERY
    while True:
        check_lease("scan")
        page = list(policies.find({}, SCAN_PROJECTION).sort("_id", pymongo.ASCENDING).skip(skip).limit(page_size))
        skip += len(page)
        for doc in page:
            if last is not None and doc["_id"] <= last:
                summary.seen_again += 1
                continue
            counted[(str(doc.get("status")), str(doc.get("product_code")))] += 1
            last = doc["_id"]
        summary.scanned = sum(counted.values())
        if on_page is not None and page:
            on_page(summary.scanned)
        if summary.scanned >= next_progress:
            log.info("policy counters repair scanning", extra={"scanned": summary.scanned, "seconds": round(time.monotonic() - started, 1)})
            next_progress = (summary.scanned // PROGRESS_EVERY + 1) * PROGRESS_EVERY
        if len(page) < page_size:
            break
    summary.counted = dict(counted)

    if settle_seconds > 0:
        sleep(settle_seconds)
    check_lease("settle")
    after = _read_rows(database)
    ops = []
    for key in sorted(set(before) | set(after) | set(counted)):
        if before.get(key) != after.get(key):
            summary.busy.append(key)
            continue
        delta = counted.get(key, 0) - after.get(key, (0, 0))[0]
        if delta:
            summary.repaired[key] = delta
            ops.append(row_inc(key[0], key[1], delta))
    if ops:
        check_lease("write")
        database[STATS].bulk_write(ops, ordered=False)
    summary.seconds = time.monotonic() - started
    log.info("policy counters repair done", extra={
        "scanned": summary.scanned, "seen_again": summary.seen_again, "rows_repaired": len(summary.repaired),
        "rows_busy": len(summary.busy), "seconds": round(summary.seconds, 3)})
    return summary
