"""``python -m peyvand_policy.entrypoints.jobs_main``: the policy timers (renewal notices, lapses).

Without arguments: a loop that every ``JOB_INTERVAL_SECONDS`` runs each job once per Tehran
day under its lease (``job:policy-renewal``, ``job:policy-lapse``; finished days are recorded
with ``mark_tick_done``), refreshes the policies gauge, and stops cleanly on SIGTERM.

By hand, for a given Tehran date (what tests and operators use)::

    python -m peyvand_policy.entrypoints.jobs_main renewal --as-of 2026-11-22
    python -m peyvand_policy.entrypoints.jobs_main lapse --as-of 2026-11-22

A manual run waits for the lease (another replica's run finishes first), runs even if the
day was already done (it is idempotent), and prints its summary as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from peyvand_runtime import identity, logs, store
from peyvand_runtime.identity import service_caller
from peyvand_runtime.lease import Lease, holder_name, last_success, mark_tick_done, tick_done
from peyvand_runtime.metrics_http import start_metrics_server
from peyvand_runtime.tehran_time import tehran_date, utc_now
from pymongo.database import Database

from peyvand_policy.adapters.documents import ensure_indexes
from peyvand_policy.service_layer import lapse_job, metrics, renewal_job
from peyvand_policy.service_layer.context import PolicyServices
from peyvand_policy.service_layer.gauges import refresh_policy_gauge
from peyvand_policy.settings import PolicyJobSettings

log = logging.getLogger(__name__)
PRINCIPAL = "policy-jobs"


def _run_one(job: str, services: PolicyServices, settings: PolicyJobSettings, as_of: dt.date,
             keep_lease: Callable[[], bool] | None) -> dict[str, Any]:
    with identity.bound(service_caller(PRINCIPAL)):
        if job == "renewal":
            return renewal_job.run_renewal(services, as_of, settings.windows(), settings.renewal_page_size, keep_lease).as_dict()
        return lapse_job.run_lapse(services, as_of, settings.lapse_lookback_days, settings.renewal_page_size, keep_lease).as_dict()


def _job_name(job: str) -> str:
    return renewal_job.JOB if job == "renewal" else lapse_job.JOB


def run_tick(job: str, database: Database, settings: PolicyJobSettings, as_of: dt.date, *, force: bool = False,
             wait_for_lease: float = 0.0, stopping: threading.Event | None = None) -> dict[str, Any] | None:
    """Run ``job`` for ``as_of`` under its lease; None when another replica holds it (or the day is done)."""
    name = _job_name(job)
    if not force and tick_done(database, name, as_of.isoformat()):
        return None
    lease = Lease(database, f"job:{name}", holder_name(PRINCIPAL), settings.lease_seconds)
    deadline = time.monotonic() + wait_for_lease
    while not lease.acquire():
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)
    try:
        if not force and tick_done(database, name, as_of.isoformat()):
            return None
        def keep_lease() -> bool:  # renewed before every page; a stop request ends the run there too
            return not (stopping is not None and stopping.is_set()) and lease.acquire()

        summary = _run_one(job, PolicyServices(database), settings, as_of, keep_lease)
        mark_tick_done(database, name, as_of.isoformat(), summary)
        return summary
    finally:
        lease.release()


def restore_last_success(database: Database) -> None:
    """Show the last recorded success of each job, also one run by hand or by another replica.

    Without this a restarted jobs process reports 0 ("never") until the next Tehran day's run,
    and the RenewalJobMissed alert would page for a job that ran fine.
    """
    for name, gauge in ((renewal_job.JOB, metrics.RENEWAL_LAST_SUCCESS), (lapse_job.JOB, metrics.LAPSE_LAST_SUCCESS)):
        when = last_success(database, name)
        if when is not None:
            gauge.set(when.timestamp())


def loop(database: Database, settings: PolicyJobSettings, stopping: threading.Event) -> None:
    next_gauge = 0.0
    while not stopping.is_set():
        try:
            restore_last_success(database)
        except Exception:
            log.warning("could not read the last job runs")
        today = tehran_date(utc_now())
        for job in ("renewal", "lapse"):
            if stopping.is_set():
                break
            try:
                summary = run_tick(job, database, settings, today, stopping=stopping)
                if summary is not None:
                    log.info("job tick done", extra={"job": job, **summary})
            except renewal_job.LeaseLost:
                log.warning("job run stopped (stopping, or another replica took the lease)", extra={"job": job})
            except Exception:
                log.exception("job tick failed; retried next interval", extra={"job": job})
        if time.monotonic() >= next_gauge:
            try:
                refresh_policy_gauge(database)
            except Exception:
                log.exception("policies gauge refresh failed")
            next_gauge = time.monotonic() + settings.policy_gauge_interval_seconds
        stopping.wait(settings.job_interval_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="policy jobs: renewal notices and lapses")
    parser.add_argument("job", nargs="?", choices=("renewal", "lapse"), help="run one job by hand and exit")
    parser.add_argument("--as-of", help="Tehran date (YYYY-MM-DD) to run for; default today")
    parser.add_argument("--lease-wait", type=float, default=120.0, help="seconds to wait for another replica's run")
    args = parser.parse_args(argv)
    settings = PolicyJobSettings()
    logs.configure("policy-jobs", settings.log_level)
    database = store.connect("policy", settings)
    ensure_indexes(database)
    if args.job:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else tehran_date(utc_now())
        summary = run_tick(args.job, database, settings, as_of, force=True, wait_for_lease=args.lease_wait)
        print(json.dumps({"job": args.job, "ran": summary is not None, **(summary or {})}))
        return 0 if summary is not None else 3
    stopping = threading.Event()
    metrics_server, _port = start_metrics_server(settings.metrics_port, readiness=lambda: not stopping.is_set() and store.store_is_reachable(database))

    def _stop(_signum: int, _frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker = threading.Thread(target=loop, args=(database, settings, stopping), name="policy-jobs", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.5)
    metrics_server.stop()
    log.info("policy jobs stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
