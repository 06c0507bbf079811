"""The SLA sweep: evaluate only tickets with something due (indexed ``sla_next_check_at <= now``), in pages,
save each with compare-and-set so every warning / breach / escalation is announced once; and the
open-ticket counts by queue and SLA state for the gauge and the dashboard RPC."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from peyvand_runtime.ids import new_id

from peyvand_ticketing import metrics
from peyvand_ticketing.domain.sla import BREACHED, OK, WARNING
from peyvand_ticketing.domain.sla_schedule import next_check_at
from peyvand_ticketing.domain.ticket import Ticket
from peyvand_ticketing.domain.ticket_values import ACTIVE_STATUSES
from peyvand_ticketing.service_layer.context import Context

log = logging.getLogger(__name__)
SLA_STATES = (OK, WARNING, BREACHED)


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


def sweep(ctx: Context, now: dt.datetime, page_size: int = 500, keep_alive: Callable[[], bool] | None = None) -> SweepReport:
    """One sweep as of ``now``. ``keep_alive`` is called between pages (lease renewal); False stops early."""
    started = time.monotonic()
    report = SweepReport()
    calendar = ctx.calendar
    skip: list[str] = []  # conflicts and anything not moved past now: looked at again next sweep
    lead_cache: dict[str, str | None] = {}
    write_id = new_id("evt")  # marks this sweep's writes (see save_sla_batch)
    while True:
        page = ctx.tickets.due_for_sla_check(now, skip, page_size)
        if not page:
            break
        evaluated: list[Ticket] = []
        for ticket in page:
            report.evaluated += 1
            events = ticket.evaluate_sla(now, calendar, ctx.policy)
            for event in events:
                if event.type == "ticket.escalated":
                    queue_id = ticket.queue_id or ""
                    if queue_id not in lead_cache:
                        queue = ctx.queues.get(queue_id) if queue_id else None
                        lead_cache[queue_id] = queue.get("lead_user_id") if queue else None
                    event.payload["queue_lead_user_id"] = lead_cache[queue_id]
            evaluated.append(ticket)
            upcoming = next_check_at(ticket, calendar, ctx.policy)
            if upcoming is not None and upcoming <= now:
                skip.append(ticket.id)  # still due after evaluation (a calendar edge): never loop on it
        saved, conflicts = ctx.tickets.save_sla_batch(evaluated, now, calendar, ctx.policy, write_id)
        for ticket in conflicts:
            # Someone changed it meanwhile: its events were not written; next sweep re-evaluates it.
            report.conflicts += 1
            skip.append(ticket.id)
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
        if keep_alive is not None and not keep_alive():
            log.warning("sla sweep stopped early: lease lost", extra=report.as_dict())
            break
    report.seconds = time.monotonic() - started
    metrics.SWEEP_DURATION.observe(report.seconds)
    metrics.SWEEP_LAST_SUCCESS.set(time.time())
    return report


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
