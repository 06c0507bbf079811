"""Task use cases: create (deduplicated), complete, list, an agent's day, and renewal-call requests from campaigns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand_runtime.domain import NotFound, ValidationError, VersionConflict, Violations
from peyvand_runtime.identity import Caller, can_see_record, scope_filter
from peyvand_runtime.ids import is_id
from peyvand_runtime.tehran_time import expiry_instant, parse_jalali, tehran_date

from peyvand_ticketing.adapters import customer_refs
from peyvand_ticketing.adapters.task_repo import from_doc
from peyvand_ticketing.domain.task import OPEN, AgendaItem, Task, TaskRequest, my_day, renewal_call_key
from peyvand_ticketing.service_layer.context import Context

NOT_FOUND = "TASK_NOT_FOUND"


def _scope_of_customer(ctx: Context, customer_id: str) -> dict[str, Any]:
    ref = customer_refs.get(ctx.db, customer_id) or {}
    return {"agent_id": ref.get("agent_id") or None, "branch_code": ref.get("branch_code") or None}


def visible(caller: Caller, doc: dict[str, Any]) -> bool:
    if doc.get("owner_id") and doc["owner_id"] in (caller.principal, caller.agent_id):
        return True
    return can_see_record(caller, doc.get("agent_id"), doc.get("branch_code"))


def parse_due(due_date: str, due_date_jalali: str, due_at: str, problems: Violations) -> tuple[dt.date | None, dt.datetime | None]:
    day: dt.date | None = None
    instant: dt.datetime | None = None
    if due_date:
        try:
            day = dt.date.fromisoformat(due_date)
        except ValueError:
            problems.add("due_date", "must be an ISO date YYYY-MM-DD")
    elif due_date_jalali:
        try:
            day = parse_jalali(due_date_jalali)
        except ValueError:
            problems.add("due_date_jalali", "must be a Jalali date YYYY/MM/DD")
    if due_at:
        try:
            instant = dt.datetime.fromisoformat(due_at.replace("Z", "+00:00"))
            if instant.tzinfo is None:
                problems.add("due_at", "must carry a time zone (Z)")
        except ValueError:
            problems.add("due_at", "must be an ISO-8601 instant")
    return day, instant


def create_task(ctx: Context, caller: Caller, request: TaskRequest) -> tuple[dict[str, Any], bool]:
    """A new task, or the existing one with the same dedup key (``created`` False)."""
    if request.dedup_key is not None and len(request.dedup_key) > 200:
        raise ValidationError.single("dedup_key", "must be at most 200 characters")
    scope = _scope_of_customer(ctx, request.customer_id) if is_id(request.customer_id, "cus") else {}
    owner = request.owner_id or scope.get("agent_id") or (caller.agent_id if caller.role == "agent" else None)
    task = Task.create(TaskRequest(**{**request.__dict__, "owner_id": owner}), ctx.now())
    if caller.role != "service" and not (owner in (caller.principal, caller.agent_id) or can_see_record(caller, scope.get("agent_id"), scope.get("branch_code"))):
        raise NotFound("customer not found", code="CUSTOMER_NOT_FOUND")
    return ctx.tasks.insert(task, ctx.now(), scope.get("agent_id"), scope.get("branch_code"))


def request_renewal_call(ctx: Context, payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """``campaign.agent_task_requested``: one renewal-call task per dedup key, however often asked."""
    problems = Violations()
    for name in ("customer_id", "policy_id"):
        if not payload.get(name):
            problems.add(name, "missing in event payload")
    problems.raise_if_any()
    term_end = dt.date.fromisoformat(payload["term_end"]) if payload.get("term_end") else None
    due_date = dt.date.fromisoformat(payload["due_date"]) if payload.get("due_date") else term_end
    key = payload.get("dedup_key") or (renewal_call_key(payload["policy_id"], term_end) if term_end else None)
    scope = _scope_of_customer(ctx, payload["customer_id"])
    agent_id = payload.get("agent_id") or scope.get("agent_id")
    branch_code = payload.get("branch_code") or scope.get("branch_code")
    number = payload.get("policy_number") or payload["policy_id"]
    title = f"تماس تمدید بیمه‌نامه {number}" + (f" (پنجره {payload['window']})" if payload.get("window") else "")
    note = f"journey {payload['journey_id']}" if payload.get("journey_id") else ""
    task = Task.create(TaskRequest(
        kind="renewal_call", customer_id=payload["customer_id"], owner_id=agent_id, title=title, due_date=due_date,
        policy_id=payload["policy_id"], dedup_key=key, note=note, requested_by="svc:campaign",
    ), ctx.now())
    return ctx.tasks.insert(task, ctx.now(), agent_id, branch_code)


def complete_task(ctx: Context, caller: Caller, task_id: str, outcome: str, expected_version: int = 0) -> dict[str, Any]:
    doc = ctx.tasks.get_doc(task_id) if is_id(task_id, "tsk") else None
    if doc is None or not visible(caller, doc):
        raise NotFound("task not found", code=NOT_FOUND)
    task = from_doc(doc)
    if expected_version and expected_version != task.version:
        raise VersionConflict("the task was changed by someone else; reload and try again")
    task.complete(caller.principal, ctx.now(), outcome)
    ctx.tasks.save(task, ctx.now(), doc)
    return ctx.tasks.get_doc(task_id) or doc


def list_tasks(ctx: Context, caller: Caller, owner_id: str, customer_id: str, status: str, due_before: str,
               after: str | None, size: int) -> list[dict[str, Any]]:
    problems = Violations()
    query: dict[str, Any] = {}
    if owner_id:
        query["owner_id"] = owner_id
    if customer_id:
        query["customer_id"] = customer_id
    if status:
        if status not in ("open", "done", "cancelled"):
            problems.add("status", "must be one of open, done, cancelled")
        query["status"] = status
    if due_before:
        try:
            query["due"] = {"$lte": expiry_instant(dt.date.fromisoformat(due_before))}
        except ValueError:
            problems.add("due_before", "must be an ISO date YYYY-MM-DD")
    problems.raise_if_any()
    scope = scope_filter(caller)
    if scope is None:
        return []
    if caller.role == "agent":
        # An agent's tasks: the ones they own (a task's owner is usually the customer's agent).
        query["owner_id"] = caller.agent_id if not owner_id or owner_id == caller.agent_id else "\uffff-none"
    else:
        query.update(scope)
    return ctx.tasks.find_page(query, after, size)


def agenda(ctx: Context, caller: Caller, agent_id: str, day: dt.date | None) -> tuple[dt.date, list[AgendaItem]]:
    agent_id = agent_id or caller.agent_id or caller.principal
    if caller.role == "agent" and agent_id != caller.agent_id:
        raise NotFound("agent not found", code="NOT_FOUND")
    now = ctx.now()
    today = day or tehran_date(now)
    end = expiry_instant(today)
    task_docs = ctx.db["tasks"].find({"owner_id": agent_id, "status": OPEN, "due": {"$lte": end}}, {"outbox": 0}).limit(500)
    tasks = [from_doc(d) for d in task_docs if caller.role == "agent" or visible(caller, d)]
    tickets = ctx.tickets.find_page({"assignee_id": agent_id, "status": {"$in": ["new", "open"]}}, None, 500)
    return today, my_day(tasks, tickets, agent_id, today, now)
