"""Queue and holiday administration."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand_runtime.domain import ValidationError, Violations
from peyvand_runtime.identity import Caller
from peyvand_runtime.tehran_time import parse_jalali

from peyvand_ticketing.adapters import calendar_repo
from peyvand_ticketing.adapters.queue_repo import member_doc
from peyvand_ticketing.adapters.ticket_repo import instant_ms
from peyvand_ticketing.domain.assignment import ANY_CATEGORY, STRATEGIES, QueueMember
from peyvand_ticketing.service_layer.context import Context, require_admin

MAX_NAME = 100


def _member(raw: dict[str, Any], prefix: str, problems: Violations) -> QueueMember | None:
    if not str(raw.get("user_id", "")).strip():
        problems.add(f"{prefix}.user_id", "must not be empty")
        return None
    max_load = raw.get("max_load") or None
    if max_load is not None and max_load < 0:
        problems.add(f"{prefix}.max_load", "must not be negative")
    skills = frozenset(s.strip() for s in raw.get("skills") or [] if s.strip()) or frozenset({ANY_CATEGORY})
    return QueueMember(raw["user_id"].strip(), bool(raw.get("available", True)), skills, 0, max_load)


def create_queue(ctx: Context, caller: Caller, fields: dict[str, Any], queue_id: str | None = None) -> dict[str, Any]:
    problems = Violations()
    for name in ("name", "branch_code", "team"):
        value = str(fields.get(name) or "").strip()
        if not value:
            problems.add(name, "must not be empty")
        elif len(value) > MAX_NAME:
            problems.add(name, f"must be at most {MAX_NAME} characters")
    strategy = fields.get("strategy") or "round_robin"
    if strategy not in STRATEGIES:
        problems.add("strategy", "must be one of " + ", ".join(STRATEGIES))
    members = [_member(m, f"members[{i}]", problems) for i, m in enumerate(fields.get("members") or [])]
    problems.raise_if_any()
    require_admin(caller, fields["branch_code"])
    team = str(fields["team"]).strip()
    doc = {
        "_id": queue_id or f"q-{fields['branch_code']}-{team}".lower().replace(" ", "-"),
        "name": str(fields["name"]).strip(), "branch_code": str(fields["branch_code"]).strip(), "team": team,
        "strategy": strategy, "lead_user_id": fields.get("lead_user_id") or None,
        "categories": [c.strip() for c in fields.get("categories") or [] if c.strip()] or [ANY_CATEGORY],
        "members": [member_doc(m) for m in members if m is not None],
    }
    existing = ctx.queues.get(doc["_id"])
    if existing is not None:
        raise ValidationError.single("team", "the branch already has a queue for this team")
    return ctx.queues.insert(doc)


def set_member(ctx: Context, caller: Caller, queue_id: str, raw: dict[str, Any], remove: bool) -> dict[str, Any]:
    problems = Violations()
    member = _member(raw, "member", problems)
    problems.raise_if_any()
    assert member is not None
    doc = ctx.queues.require(queue_id)
    require_admin(caller, doc["branch_code"])
    members = [m for m in doc.get("members", []) if m["user_id"] != member.user_id]
    if not remove:
        # Keep the member's position (the round-robin order) when updating.
        position = next((i for i, m in enumerate(doc.get("members", [])) if m["user_id"] == member.user_id), len(members))
        members.insert(position, member_doc(member))
    return ctx.queues.save_members(doc, members)


def parse_day(date: str, date_jalali: str) -> dt.date:
    if date:
        try:
            return dt.date.fromisoformat(date)
        except ValueError:
            raise ValidationError.single("date", "must be an ISO date YYYY-MM-DD") from None
    if date_jalali:
        try:
            return parse_jalali(date_jalali)
        except ValueError:
            raise ValidationError.single("date_jalali", "must be a Jalali date YYYY/MM/DD") from None
    raise ValidationError.single("date", "give date or date_jalali")


def set_holiday(ctx: Context, caller: Caller, date: str, date_jalali: str, name: str) -> dict[str, Any]:
    day = parse_day(date, date_jalali)
    if not name.strip() or len(name) > 200:
        raise ValidationError.single("name", "must be 1 to 200 characters")
    require_admin(caller)
    doc = calendar_repo.set_holiday(ctx.db, day, name.strip())
    _after_calendar_change(ctx, day)
    return doc


def remove_holiday(ctx: Context, caller: Caller, date: str, date_jalali: str) -> bool:
    day = parse_day(date, date_jalali)
    require_admin(caller)
    removed = calendar_repo.remove_holiday(ctx.db, day)
    _after_calendar_change(ctx, day)
    return removed


def _after_calendar_change(ctx: Context, day: dt.date) -> None:
    """Due times of open tickets that run past the changed day are stale: ask the sweep to look now.

    Only ``sla_next_check_at`` / ``sla_check_ms`` (a scheduling hint, not aggregate state) is touched; the sweep
    re-evaluates those tickets with the new calendar and saves them with compare-and-set.
    """
    ctx.calendars.invalidate()
    from peyvand_runtime.tehran_time import start_of_tehran_day

    ctx.db["tickets"].update_many(
        {"resolution_due_at": {"$gte": start_of_tehran_day(day)}, "status": {"$in": ["new", "open"]}},
        {"$set": {"sla_next_check_at": ctx.now(), "sla_check_ms": instant_ms(ctx.now())}},
    )
