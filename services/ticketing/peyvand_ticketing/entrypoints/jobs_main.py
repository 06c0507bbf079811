"""``python -m peyvand_ticketing.entrypoints.jobs_main``: the SLA sweep and the open-ticket gauge, under a lease.

    jobs_main                                  # loop: sweep every JOB_INTERVAL_SECONDS (60)
    jobs_main sla-sweep --now 2026-11-22T10:00:00Z   # one sweep by hand, prints the report (JSON)
    jobs_main refresh-gauge                    # one recount, prints it
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import signal
import threading
import time
from typing import Any

from peyvand_runtime import logs, store
from peyvand_runtime.identity import bound, service_caller
from peyvand_runtime.lease import Lease, holder_name
from peyvand_runtime.metrics_http import start_metrics_server
from peyvand_runtime.tehran_time import tehran_date, utc_now

from peyvand_ticketing.service_layer import sla_sweep
from peyvand_ticketing.service_layer.context import Context, bootstrap
from peyvand_ticketing.settings import TicketingJobSettings

log = logging.getLogger(__name__)
JOB = "job:ticketing-sla-sweep"
JOBS_CALLER = service_caller("ticketing-jobs")


def parse_instant(text: str) -> dt.datetime:
    instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError("--now needs a time zone, e.g. 2026-11-22T10:00:00Z")
    return instant.astimezone(dt.UTC)


def _context(settings: TicketingJobSettings) -> Context:
    db = store.connect("ticketing", settings)
    return bootstrap(db, seed_years=settings.seed_years(tehran_date(utc_now())), reopen_period=settings.reopen_period,
                     calendar_ttl=0.0)


def run_once(ctx: Context, now: dt.datetime, page_size: int, lease: Lease | None = None,
             threads: int = sla_sweep.DEFAULT_THREADS) -> dict[str, Any]:
    with bound(JOBS_CALLER):
        report = sla_sweep.sweep(ctx, now, page_size, keep_alive=lease.acquire if lease else None, threads=threads)
    return report.as_dict()


def loop(settings: TicketingJobSettings) -> None:
    ctx = _context(settings)
    lease = Lease(ctx.db, JOB, holder_name("ticketing-jobs"), settings.lease_seconds)
    stopping = threading.Event()
    start_metrics_server(settings.metrics_port, readiness=lambda: not stopping.is_set() and store.store_is_reachable(ctx.db))

    def _stop(_signum: int, _frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    next_gauge = 0.0
    while not stopping.is_set():
        try:
            if lease.acquire():
                report = run_once(ctx, utc_now(), settings.sla_sweep_page_size, lease, settings.sla_sweep_threads)
                if report["evaluated"]:
                    log.info("sla sweep", extra=report)
                if time.monotonic() >= next_gauge:
                    sla_sweep.refresh_gauge(ctx)
                    next_gauge = time.monotonic() + settings.gauge_interval_seconds
        except Exception:  # noqa: BLE001 - a failed tick is logged and retried next interval
            log.exception("sla sweep failed")
        stopping.wait(settings.job_interval_seconds)
    lease.release()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    one = sub.add_parser("sla-sweep", help="run one SLA sweep now and print its report")
    one.add_argument("--now", type=parse_instant, default=None, help="evaluate as of this instant (ISO, with Z)")
    sub.add_parser("refresh-gauge", help="recount open tickets by queue and SLA state")
    args = parser.parse_args(argv)
    settings = TicketingJobSettings()
    logs.configure("ticketing-jobs", settings.log_level)
    if args.command == "sla-sweep":
        ctx = _context(settings)
        print(json.dumps(run_once(ctx, args.now or utc_now(), settings.sla_sweep_page_size, threads=settings.sla_sweep_threads)), flush=True)
    elif args.command == "refresh-gauge":
        ctx = _context(settings)
        started = time.monotonic()
        counts = sla_sweep.refresh_gauge(ctx)
        print(json.dumps({"seconds": round(time.monotonic() - started, 3), "counts": {f"{q}|{s}": n for (q, s), n in counts.items()}}), flush=True)
    else:
        loop(settings)


if __name__ == "__main__":
    main()
