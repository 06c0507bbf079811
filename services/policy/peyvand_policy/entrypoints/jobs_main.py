"""``python -m peyvand_policy.entrypoints.jobs_main``: the policy timers (renewal notices, lapses)
and the repair of the policy status counters.

Without arguments: a loop that every ``JOB_INTERVAL_SECONDS`` runs each job once per Tehran
day under its lease (``job:policy-renewal``, ``job:policy-lapse``; finished days are recorded
with ``mark_tick_done``), refreshes the policies gauge, and stops cleanly on SIGTERM.

By hand, for a given Tehran date (what tests and operators use)::

    python -m peyvand_policy.entrypoints.jobs_main renewal --as-of 2026-11-22
    python -m peyvand_policy.entrypoints.jobs_main lapse --as-of 2026-11-22

A manual run waits for the lease (another replica's run finishes first), runs even if the
day was already done (it is idempotent), and prints its summary as JSON.

The status counters behind the ``peyvand_policy_policies`` gauge, repaired from the policies
(safe while policies are issued: ``service_layer.gauges.recount_policy_stats``)::

    python -m peyvand_policy.entrypoints.jobs_main recount-stats [--settle 2] [--page-size 5000]

It holds the lease ``job:policy-recount-stats`` (two operators cannot run it at once), prints
its summary and the counters after it as JSON, and refreshes the gauge.

Exit codes: 0 done (for ``recount-stats``: every counter row checked, and repaired where it
was off); 3 not run, or stopped before writing: another run holds the lease (after
``--lease-wait`` seconds) or took it over; 4 ``recount-stats`` only: some rows were written
while it scanned ("busy", listed in the JSON) and were left as they were, the others were
repaired: run it again at a quieter time; 2 bad arguments.
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
from peyvand_policy.service_layer.gauges import PAGE_SIZE, SETTLE_SECONDS, recount_policy_stats, refresh_policy_gauge
from peyvand_policy.settings import PolicyJobSettings

log = logging.getLogger(__name__)
PRINCIPAL = "policy-jobs"
RECOUNT_LEASE = "job:policy-recount-stats"
EXIT_NOT_RUN = 3
EXIT_BUSY_ROWS = 4


def _run_one(job: str, services: PolicyServices, settings: PolicyJobSettings, as_of: dt.date,
             keep_lease: Callable[[], bool] | None) -> dict[str, Any]:
    with identity.bound(service_caller(PRINCIPAL)):
        if job == "renewal":
            return renewal_job.run_renewal(services, as_of, settings.windows(), settings.renewal_page_size, keep_lease).as_dict()
        return lapse_job.run_lapse(services, as_of, settings.lapse_lookback_days, settings.renewal_page_size, keep_lease).as_dict()


def _job_name(job: str) -> str:
    return renewal_job.JOB if job == "renewal" else lapse_job.JOB


def run_tick(job: str, database: Database[Any], settings: PolicyJobSettings, as_of: dt.date, *, force: bool = False,
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


def run_recount(database: Database[Any], settings: PolicyJobSettings, *, settle_seconds: float = SETTLE_SECONDS,
                page_size: int = PAGE_SIZE, wait_for_lease: float = 0.0,
                on_page: Callable[[int], None] | None = None) -> tuple[dict[str, Any], int]:
    """Repair the status counters under the ``job:policy-recount-stats`` lease, then refresh the
    gauge: (what ``recount-stats`` prints, its exit code)."""
    lease = Lease(database, RECOUNT_LEASE, holder_name(PRINCIPAL), settings.lease_seconds)
    deadline = time.monotonic() + wait_for_lease
    while not lease.acquire():
        if time.monotonic() >= deadline:
            return {"job": "recount-stats", "ran": False, "reason": "LEASE_HELD"}, EXIT_NOT_RUN
        time.sleep(0.2)
    try:
        summary = recount_policy_stats(database, page_size=page_size, settle_seconds=settle_seconds,
                                       keep_lease=lease.acquire, on_page=on_page)
    except renewal_job.LeaseLost:
        log.warning("policy counters repair stopped: another run took its lease")
        return {"job": "recount-stats", "ran": False, "reason": "LEASE_LOST"}, EXIT_NOT_RUN
    finally:
        lease.release()
    counters = refresh_policy_gauge(database)
    if summary.busy:
        log.warning("policy counters rows written during the repair were left alone; run it again later",
                    extra={"rows_busy": len(summary.busy)})
    out = {"job": "recount-stats", "ran": True, **summary.as_dict(),
           "counters": {f"{status}|{product}": n for (status, product), n in sorted(counters.items())}}
    return out, EXIT_BUSY_ROWS if summary.busy else 0


def restore_last_success(database: Database[Any]) -> None:
    """Show the last recorded success of each job, also one run by hand or by another replica.

    Without this a restarted jobs process reports 0 ("never") until the next Tehran day's run,
    and the RenewalJobMissed alert would page for a job that ran fine.
    """
    for name, gauge in ((renewal_job.JOB, metrics.RENEWAL_LAST_SUCCESS), (lapse_job.JOB, metrics.LAPSE_LAST_SUCCESS)):
        when = last_success(database, name)
        if when is not None:
            gauge.set(when.timestamp())


def loop(database: Database[Any], settings: PolicyJobSettings, stopping: threading.Event) -> None:
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


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a number of seconds, e.g. 2") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a whole number, e.g. 5000") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="policy jobs: renewal notices, lapses, and the status counters' repair",
                                     epilog="exit codes: 0 done; 2 bad arguments; 3 not run (lease held by another run); "
                                            "4 recount-stats left busy rows alone (run it again later)")
    parser.add_argument("job", nargs="?", choices=("renewal", "lapse", "recount-stats"), help="run one job by hand and exit")
    parser.add_argument("--as-of", help="Tehran date (YYYY-MM-DD) to run for; default today (renewal, lapse)")
    parser.add_argument("--lease-wait", type=float, default=120.0, help="seconds to wait for another replica's run")
    parser.add_argument("--settle", type=_non_negative, default=None,
                        help=f"recount-stats: seconds to wait after the scan for pending counter writes (default {SETTLE_SECONDS:g})")
    parser.add_argument("--page-size", type=_positive_int, default=None, help=f"recount-stats: policies per page (default {PAGE_SIZE})")
    args = parser.parse_args(argv)
    if args.job == "recount-stats" and args.as_of:
        parser.error("--as-of is for renewal and lapse; recount-stats counts every policy")
    if args.job != "recount-stats" and (args.settle is not None or args.page_size is not None):
        parser.error("--settle and --page-size are for recount-stats")
    as_of = None
    if args.as_of:
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            parser.error("--as-of must be a date: YYYY-MM-DD")
    settings = PolicyJobSettings()
    logs.configure("policy-jobs", settings.log_level)
    database = store.connect("policy", settings)
    ensure_indexes(database)
    if args.job == "recount-stats":
        out, code = run_recount(database, settings, wait_for_lease=args.lease_wait,
                                settle_seconds=SETTLE_SECONDS if args.settle is None else args.settle,
                                page_size=args.page_size or PAGE_SIZE)
        print(json.dumps(out), flush=True)
        return code
    if args.job:
        as_of = as_of or tehran_date(utc_now())
        summary = run_tick(args.job, database, settings, as_of, force=True, wait_for_lease=args.lease_wait)
        print(json.dumps({"job": args.job, "ran": summary is not None, **(summary or {})}))
        return 0 if summary is not None else EXIT_NOT_RUN
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
