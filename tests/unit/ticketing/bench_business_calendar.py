"""Micro-benchmark (not a test): business-calendar and SLA-sweep rates. Run with
``.venv/bin/python tests/unit/ticketing/bench_business_calendar.py``."""

from __future__ import annotations

import datetime as dt
import random
import time

from peyvand_runtime.ids import new_id
from peyvand_runtime.tehran_time import UTC
from peyvand_ticketing.domain.business_calendar import BusinessCalendar, seed_iran_holidays
from peyvand_ticketing.domain.ticket import Ticket

N = 200_000


def rate(label: str, count: int, seconds: float) -> None:
    print(f"{label:<42} {count / seconds:>12,.0f} /s  {seconds / count * 1e6:7.2f} µs each")


def main() -> None:
    calendar = BusinessCalendar(day for day, _ in seed_iran_holidays(range(2024, 2028)))
    rnd = random.Random(7)
    base = dt.datetime(2025, 1, 1, tzinfo=UTC)
    starts = [base + dt.timedelta(seconds=rnd.randrange(0, 2 * 365 * 86400)) for _ in range(N)]
    targets = [rnd.choice([30, 60, 240, 480, 960, 1440, 2400, 4800]) for _ in range(N)]
    ends = [s + dt.timedelta(hours=rnd.randrange(0, 24 * 60)) for s in starts]
    for _ in range(2):  # second round is the steady state (day windows cached)
        t = time.perf_counter()
        for s, m in zip(starts, targets, strict=True):
            calendar.add_business_minutes(s, m)
        add_s = time.perf_counter() - t
        t = time.perf_counter()
        for s, e in zip(starts, ends, strict=True):
            calendar.business_minutes_between(s, e)
        between_s = time.perf_counter() - t
    rate("add_business_minutes (30 min .. 10 days)", N, add_s)
    rate("business_minutes_between (0 .. 60 days)", N, between_s)

    tickets = [
        Ticket.open(ticket_number=f"TK-{i}", type="incident", category="c", channel="web", customer_id=new_id("cus"),
                    subject="s", opened_by="usr_bench", now=s, calendar=calendar,
                    impact=rnd.choice(["high", "medium", "low"]), urgency=rnd.choice(["high", "medium", "low"]))
        for i, s in enumerate(starts)
    ]
    # A sweep sees tickets of every age: from minutes old to a few weeks old.
    nows = [s + dt.timedelta(minutes=rnd.randrange(0, 21 * 24 * 60)) for s in starts]
    for label in ("evaluate_sla, first sweep (emits events)", "evaluate_sla, repeat sweep (nothing new)"):
        t = time.perf_counter()
        for ticket, now in zip(tickets, nows, strict=True):
            ticket.evaluate_sla(now, calendar)
        rate(label, N, time.perf_counter() - t)
    t = time.perf_counter()
    for ticket, now in zip(tickets, nows, strict=True):
        ticket.sla_state(now, calendar)
    rate("sla_state", N, time.perf_counter() - t)


if __name__ == "__main__":
    main()
