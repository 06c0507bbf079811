"""The policies-by-status-and-product counters (``policy_stats``) behind the ``peyvand_policy_policies`` gauge.

Counting on the embedded store with ``$group`` or a filtered count is a full scan (75 s at 100k
policies), so the gauge reads one row per status and product, kept in step with policy writes.

Two ways to bump them:

- ``count_status_change``: one ``$inc`` per row right after the policy write (changes of one
  policy: endorse, cancel, renew, and the jobs' batches, which bump once per batch);
- ``DeferredStatusCounts``: new business. An issue adds to a per-process tally in memory and a
  background thread writes the tally at most once per ``interval`` seconds (one unordered
  ``bulk_write`` of ``$inc``), and on ``flush()`` (process stop, tests). At 300 issues/s that is
  one store call a second instead of one per issue batch. The gauge is refreshed by policy-jobs
  every few minutes, so the second's delay is not visible there.

Every write goes through ``row_inc``, which also adds 1 to the row's ``writes``: a row whose
``(count, writes)`` did not change between two reads was not written in between, even by changes
that cancel out (one policy in, one out). The repair relies on that.

Either way a crash between the policy write and the counter write leaves the counters short
(with the tally, by up to ``interval`` seconds of issues of the crashed process);
``recount_policy_stats`` (``service_layer/gauges``, the operator command
``jobs_main recount-stats``) repairs them from the policies with ``$inc`` of the difference,
while issuing goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from pymongo import UpdateOne
from pymongo.errors import InvalidOperation, PyMongoError

log = logging.getLogger(__name__)

# How often a process's tally of new policies is written (``DeferredStatusCounts``); the repair
# waits a little longer than this so every tally of a policy it counted is in the rows.
FLUSH_INTERVAL_SECONDS = 1.0


def row_id(status: str, product_code: str) -> str:
    return f"{status}|{product_code}"


def row_inc(status: str, product_code: str, by: int) -> UpdateOne:
    """Add ``by`` to a row (created when missing), and 1 to its ``writes`` (see the module doc)."""
    return UpdateOne({"_id": row_id(status, product_code)},
                     {"$inc": {"count": by, "writes": 1}, "$set": {"status": status, "product": product_code}}, upsert=True)


def count_status_change(stats: Any, product_code: str, old: str | None, new: str, by: int = 1) -> None:
    """Move ``by`` policies of ``product_code`` from status ``old`` (None: a new policy) to ``new``,
    after the policy write succeeded."""
    ops = ([row_inc(old, product_code, -by)] if old is not None else []) + [row_inc(new, product_code, by)]
    stats.bulk_write(ops)


class DeferredStatusCounts:
    """A process's tally of new policies by (status, product), written to ``policy_stats`` by a
    background thread every ``interval`` seconds while there is something to write (thread-safe).

    The thread starts with the first ``add`` and ends once the tally is empty, so an idle process
    (or a test's throw-away instance) holds no thread. A failed write keeps the tally for the next
    round (each ``$inc`` is applied at most once: a failure before the reply may still have
    applied some; ``recount_policy_stats`` repairs that, as after a crash).
    """

    MAX_FAILED_ROUNDS = 60

    def __init__(self, stats: Any, interval: float = FLUSH_INTERVAL_SECONDS) -> None:
        self.stats = stats
        self.interval = interval
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], int] = {}
        self._flusher: threading.Thread | None = None

    def add(self, status: str, product_code: str, by: int = 1) -> None:
        if by == 0:
            return
        with self._lock:
            key = (status, product_code)
            self._pending[key] = self._pending.get(key, 0) + by
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._run, name="policy-stats-flush", daemon=True)
                self._flusher.start()

    def pending(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._pending)

    def flush(self) -> None:
        """Write the tally now (one ``bulk_write``); on a store error the tally is kept and the error raised."""
        with self._lock:
            tally, self._pending = self._pending, {}
        ops = [row_inc(status, product, by) for (status, product), by in tally.items() if by]
        if not ops:
            return
        try:
            self.stats.bulk_write(ops, ordered=False)
        except PyMongoError:
            with self._lock:
                for key, by in tally.items():
                    self._pending[key] = self._pending.get(key, 0) + by
            raise

    def _run(self) -> None:
        failures = 0
        while True:
            time.sleep(self.interval)
            with self._lock:
                if not self._pending or failures >= self.MAX_FAILED_ROUNDS:
                    self._flusher = None  # the next ``add`` starts a new thread (a tally left is kept)
                    return
            try:
                self.flush()
                failures = 0
            except InvalidOperation:  # the client was closed (process or test stopping): nothing to retry with
                with self._lock:
                    self._flusher = None
                return
            except PyMongoError as exc:
                failures += 1
                log.warning("policy status counters not written; retried in the next round (%s)", type(exc).__name__)
