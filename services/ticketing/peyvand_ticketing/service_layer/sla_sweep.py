"""The SLA sweep: evaluate only tickets with something due (indexed ``sla_check_ms <= now``), in pages,
save each with compare-and-set so every warning / breach / escalation is announced once; and the
open-ticket counts by queue and SLA state for the gauge and the dashboard RPC."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.ids import new_id

from peyvand_ticketing import metrics
from peyvand_ticketing.domain.sla import BREACHED, OK, WARNING
from peyvand_ticketing.domain.ticket import Ticket
from peyvand_ticketing.domain.ticket_values import ACTIVE_STATUSES
from peyvand_ticketing.service_layer.context import Context

log = logging.getLogger(__name__)
SLA_STATES = (OK, WARNING, BREACHED)
# Pages written concurrently: the store applies one while this process evaluates the next
# (nx-27017 took 4 concurrent writers safely; 2-3 is where the gain stops on 2 cores).
DEFAULT_THREADS = 3


@dataclass
class SweepReport:
    evaluated: int = 0
    saved: int = 0
    conflicts: int = 0
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def sweep(ctx: Context, now: dt.datetime, page_size: int = 500, keep_alive: Callable[[], bool] | None = None,
          threads: int = DEFAULT_THREADS) -> SweepReport:
    """One sweep as of ``now``. ``keep_alive`` is called between pages (lease renewal); False stops early.

    The due ids are read once (indexed ``sla_check_ms <= now``, ids only), then pages of
    ``page_size`` are loaded by ``_id``, evaluated and written (one ``bulk_write`` of
    compare-and-set updates each) by ``threads`` workers: while one page is written by the
    store, the next is evaluated here. Pages are disjoint and every write is a CAS, so a
    ticket is announced at most once whatever the interleaving. Tickets changed meanwhile by
    someone else (conflicts) and tickets still due after evaluation are skipped until the
    next sweep; the due ids are read again until a reading brings nothing new (e.g. a
    holiday edit that marked tickets due while the sweep ran).
    """
    started = time.monotonic()
    report = SweepReport()
    calendar = ctx.calendar
    seen: set[str] = set()  # each ticket at most once per sweep (conflicts, still-due edge cases)
    lead_cache: dict[str, str | None] = {}
    write_id = new_id("evt")  # marks this sweep's writes (see save_sla_batch)
    lock = threading.Lock()

    def lead_of(queue_id: str) -> str | None:
        if queue_id not in lead_cache:
            queue = ctx.queues.get(queue_id) if queue_id else None
            lead_cache[queue_id] = queue.get("lead_user_id") if queue else None
        return lead_cache[queue_id]

    def page(ids: list[str]) -> None:
        loaded = ctx.tickets.load_many(ids)
        evaluated: list[Ticket] = []
        for ticket, _doc in loaded:
            for event in ticket.evaluate_sla(now, calendar, ctx.policy):
                if event.type == "ticket.escalated":
                    event.payload["queue_lead_user_id"] = lead_of(ticket.queue_id or "")
            evaluated.append(ticket)
        stored = {ticket.id: doc for ticket, doc in loaded}
        saved, conflicts = ctx.tickets.save_sla_batch(evaluated, now, calendar, ctx.policy, write_id, stored)
        with lock:
            report.evaluated += len(loaded)
            _count(report, saved, conflicts)

    stop = False
    with ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="sla-sweep") as pool:
        while not stop:
            ids = [i for i in ctx.tickets.due_ids(now) if i not in seen]
            if not ids:
                break
            seen.update(ids)
            pages = [ids[k:k + page_size] for k in range(0, len(ids), page_size)]
            pending: set[Future[None]] = set()
            for chunk in pages:
                while len(pending) >= max(1, threads):  # at most ``threads`` pages in flight
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()
                    if keep_alive is not None and not keep_alive():
                        stop = True
                        break
                if stop:
                    break
                pending.add(pool.submit(page, chunk))
            for future in pending:
                future.result()
            if stop:
                log.warning("sla sweep stopped early: lease lost", extra=report.as_dict())
    report.seconds = time.monotonic() - started
    metrics.SWEEP_DURATION.observe(report.seconds)
    metrics.SWEEP_LAST_SUCCESS.set(time.time())
    return report


def _count(report: SweepReport, saved: list[tuple[Ticket, list[Any]]], conflicts: list[Ticket]) -> None:
    for _ticket in conflicts:
        # Someone changed it meanwhile: its events were not written; the next sweep re-evaluates it.
        report.conflicts += 1
        metrics.SWEEP_TICKETS.labels("conflict").inc()
    for ticket, events in saved:
        report.saved += 1
        metrics.SWEEP_TICKETS.labels("saved").inc()
        for event in events:
            target = event.payload.get("target", "")
            if event.type == "ticket.sla_warning":
                report.warnings += 1
                metrics.SLA_WARNINGS.labels(ticket.priority, target).inc()
            elif event.type == "ticket.sla_breached":
                report.breaches += 1
                metrics.SLA_BREACHES.labels(ticket.priority, target).inc()
            elif event.type == "ticket.escalated":
                report.escalations += 1


def open_counts(ctx: Context, branch_code: str | None = None) -> dict[tuple[str, str], int]:
    """Open (new/open/pending) tickets by (queue, sla_state) with one ``$group`` on ``sla_bucket``."""
    match: dict[str, object] = {"status": {"$in": sorted(ACTIVE_STATUSES)}}
    if branch_code:
        match["branch_code"] = branch_code
    counts: dict[tuple[str, str], int] = {}
    for row in ctx.tickets.collection.aggregate([{"$match": match}, {"$group": {"_id": "$sla_bucket", "n": {"$sum": 1}}}]):
        queue, _, state = str(row["_id"]).rpartition("|")
        counts[(queue, state)] = counts.get((queue, state), 0) + int(row["n"])
    return counts


def refresh_gauge(ctx: Context) -> dict[tuple[str, str], int]:
    started = time.monotonic()
    counts = open_counts(ctx)
    queues = {q for q, _ in counts} | {doc["_id"] for doc in ctx.queues.for_branch(None)}
    for queue in queues:
        for state in SLA_STATES:
            metrics.OPEN_TICKETS.labels(queue, state).set(counts.get((queue, state), 0))
    metrics.GAUGE_REFRESH_DURATION.observe(time.monotonic() - started)
    return counts
