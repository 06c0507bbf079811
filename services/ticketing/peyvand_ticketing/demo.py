"""Demo data for ``make run``: realistic Persian tickets for given customers, some near breach, some breached.

Idempotent: each demo ticket has an idempotency key (``demo-<customer>-<n>``), queues are
created once per branch, and the customer projection is upserted by version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand_runtime.identity import bound, service_caller
from pymongo.database import Database

from peyvand_ticketing.adapters import customer_refs
from peyvand_ticketing.domain.business_calendar import BusinessCalendar
from peyvand_ticketing.service_layer import admin, sla_sweep
from peyvand_ticketing.service_layer.context import bootstrap
from peyvand_ticketing.service_layer.tickets import OpenTicketCommand, open_ticket

DEMO = service_caller("ticketing-demo")

# (type, category, channel, subject, description, impact, urgency)
SCENARIOS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("claim_inquiry", "claim_status", "phone", "پیگیری پرونده خسارت بدنه خودرو", "مشتری وضعیت پرداخت خسارت تصادف را می‌پرسد.", "medium", "high"),
    ("complaint", "delay", "web", "شکایت از تأخیر در پرداخت خسارت", "بیش از یک ماه از تشکیل پرونده گذشته و هنوز پرداختی نشده است.", "high", "medium"),
    ("service_request", "endorsement", "branch_visit", "درخواست الحاقیه تغییر نشانی", "بیمه‌گذار نشانی جدید منزل را اعلام کرده است.", "low", "medium"),
    ("service_request", "certificate", "mobile_app", "درخواست صدور گواهی عدم خسارت", "برای انتقال تخفیف به خودروی جدید.", "medium", "medium"),
    ("incident", "portal_login", "web", "عدم امکان ورود به درگاه مشتریان", "پیامک رمز یک‌بارمصرف دریافت نمی‌شود.", "high", "high"),
    ("service_request", "missed_call", "phone", "تماس بی‌پاسخ مشتری", "مشتری در ساعت اداری تماس گرفته و پاسخی نگرفته است.", "medium", "medium"),
    ("claim_inquiry", "documents", "email", "ارسال مدارک تکمیلی خسارت درمان", "صورت‌حساب بیمارستان و نسخه پزشک پیوست شده است.", "medium", "low"),
)
# How long before ``now`` each demo ticket was opened, in business minutes: fresh, near a
# warning, past the first-response target, long breached.
AGES = (20, 50, 150, 600, 3000)


def _ensure_queue(ctx: Any, branch_code: str, members: list[str]) -> None:
    queue_id = f"q-{branch_code}-service-desk"
    if ctx.queues.get(queue_id) is None:
        admin.create_queue(ctx, DEMO, {
            "name": f"میز خدمات شعبه {branch_code}", "branch_code": branch_code, "team": "service-desk",
            "strategy": "round_robin", "lead_user_id": f"usr_lead_{branch_code}", "categories": ["*"],
            "members": [{"user_id": m, "available": True, "skills": ["*"]} for m in members],
        }, queue_id=queue_id)


def seed_demo(db: Database, customers: list[dict[str, Any]], now: dt.datetime, count: int) -> int:
    """Open up to ``count`` demo tickets spread over ``customers``; returns how many exist for the demo."""
    ctx = bootstrap(db, seed_years=[now.year - 1, now.year, now.year + 1])
    calendar: BusinessCalendar = ctx.calendar
    if not customers:
        return 0
    for customer in customers:
        customer_refs.apply_snapshot(db, {**customer, "aggregate_version": customer.get("aggregate_version", 1)})
    for branch in sorted({c["branch_code"] for c in customers if c.get("branch_code")}):
        _ensure_queue(ctx, branch, [f"usr_staff_{branch}_1", f"usr_staff_{branch}_2"])
    opened = 0
    for n in range(count):
        customer = customers[n % len(customers)]
        kind, category, channel, subject, description, impact, urgency = SCENARIOS[n % len(SCENARIOS)]
        age = AGES[n % len(AGES)]
        opened_at = _business_minutes_before(calendar, now, age)
        ctx.clock = lambda at=opened_at: at  # type: ignore[misc]
        with bound(DEMO):
            open_ticket(ctx, DEMO, OpenTicketCommand(
                type=kind, category=category, channel=channel, customer_id=customer["customer_id"], subject=subject,
                description=description, impact=impact, urgency=urgency, agent_id=customer.get("agent_id"),
                branch_code=customer.get("branch_code"), idempotency_key=f"demo-{customer['customer_id']}-{n}",
            ))
        opened += 1
    ctx.clock = lambda: now  # type: ignore[misc]
    with bound(DEMO):
        sla_sweep.sweep(ctx, now)  # announce the warnings and breaches the demo tickets already have
    return opened


def _business_minutes_before(calendar: BusinessCalendar, now: dt.datetime, minutes: int) -> dt.datetime:
    """An instant ``minutes`` business minutes before ``now`` (walks back a minute-hour at a time)."""
    t = now
    step = dt.timedelta(minutes=30)
    while calendar.business_minutes_between(t, now) < minutes:
        t -= step
    return t
