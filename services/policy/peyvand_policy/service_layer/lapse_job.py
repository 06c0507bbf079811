"""The daily lapse job: active terms past their end date become ``lapsed`` (``policy.lapsed``).

A term ending on D expires at 24:00 Tehran on D, so on Tehran date T the job looks at
active policies ending before T. It walks end dates from ``T - lookback`` to ``T - 1``
(equality on the indexed ``term_end_key``, ``_id`` pages): the job runs daily, so the lookback
only has to cover outages. A policy with a stored next term (a renewal a crash left half
done) is never lapsed: its renewal is finished instead. Each write is a compare-and-set,
so re-runs and concurrent replicas lapse each policy once. A page is written with one
``bulk_write`` of those compare-and-set updates; a write that did not land is retried alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from peyvand_runtime.domain import DomainError, VersionConflict

from peyvand_policy.service_layer import metrics, renewing
from peyvand_policy.service_layer.context import PolicyServices
from peyvand_policy.service_layer.renewal_job import LeaseLost

log = logging.getLogger(__name__)

JOB = "policy-lapse"
DEFAULT_LOOKBACK_DAYS = 90
ATTEMPTS = 3


@dataclass
class LapseSummary:
    as_of: str
    scanned: int = 0
    lapsed: int = 0
    renewals_finished: int = 0
    errors: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_lapse(services: PolicyServices, as_of: dt.date, lookback_days: int = DEFAULT_LOOKBACK_DAYS,
              page_size: int = 1000, keep_lease: Callable[[], bool] | None = None) -> LapseSummary:
    started = time.monotonic()
    summary = LapseSummary(as_of.isoformat())
    day = as_of - dt.timedelta(days=lookback_days)
    while day < as_of:
        for page in services.policies.scan_day(day, {"_id": 1}, page_size, extra={"status": "active"}):
            if keep_lease is not None and not keep_lease():
                raise LeaseLost(f"lapse run for {as_of} lost its lease")
            summary.scanned += len(page)
            _lapse_page(services, [doc["_id"] for doc in page], as_of, summary)
        day += dt.timedelta(days=1)
    summary.seconds = round(time.monotonic() - started, 3)
    metrics.LAPSE_LAST_DURATION.set(summary.seconds)
    metrics.LAPSE_LAST_LAPSED.set(summary.lapsed)
    metrics.LAPSE_LAST_SUCCESS.set(time.time())
    log.info("lapse job finished", extra=summary.as_dict())
    return summary


def _lapse_page(services: PolicyServices, policy_ids: list[str], as_of: dt.date, summary: LapseSummary) -> None:
    """One page in three store calls: load the policies (``$in``), look up stored next terms
    (``renewal_of $in``), lapse the rest with one ``bulk_write`` of compare-and-set updates.
    Half-done renewals and writes that did not land (someone wrote first) take the one-by-one path."""
    loaded = services.policies.get_many(policy_ids)
    successors = services.policies.renewals_of(policy_ids)
    lapsing = []
    for policy_id in policy_ids:
        policy = loaded.get(policy_id)
        if policy is None or policy.status != "active" or not policy.is_expired(as_of):
            continue
        if policy_id in successors:
            _lapse_one(services, policy_id, as_of, summary)  # finishes the renewal instead
            continue
        try:
            policy.lapse(as_of, "system", at=services.now())
        except DomainError as exc:
            summary.errors += 1
            metrics.JOB_ERRORS.labels("lapse").inc()
            log.warning("policy not lapsed", extra={"policy_id": policy_id, "code": exc.code})
            continue
        lapsing.append(policy)
    missed = services.policies.save_many(lapsing, services.now())
    for policy in lapsing:
        if policy.id in missed:
            _lapse_one(services, policy.id, as_of, summary)
            continue
        summary.lapsed += 1
        metrics.LAPSED.labels(policy.product_code).inc()


def _lapse_one(services: PolicyServices, policy_id: str, as_of: dt.date, summary: LapseSummary) -> None:
    for _ in range(ATTEMPTS):
        policy = services.policies.get(policy_id)
        if policy is None or policy.status != "active" or not policy.is_expired(as_of):
            return
        try:
            successor = services.policies.renewal_of(policy.id)
            if successor is not None:
                renewing.finish(services, policy, successor)
                summary.renewals_finished += 1
                return
            policy.lapse(as_of, "system", at=services.now())
            services.policies.save(policy, services.now())
        except VersionConflict:
            continue
        except DomainError as exc:
            summary.errors += 1
            metrics.JOB_ERRORS.labels("lapse").inc()
            log.warning("policy not lapsed", extra={"policy_id": policy_id, "code": exc.code})
            return
        summary.lapsed += 1
        metrics.LAPSED.labels(policy.product_code).inc()
        return
