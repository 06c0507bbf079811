"""Ticket use cases: open (with idempotency, auto-assignment and missed-call call-back), assign, reply,
note, change status, satisfaction, and the reads, all scope-checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pymongo
from peyvand_runtime.domain import DomainError, NotFound, PermissionDenied, ValidationError, VersionConflict, Violations
from peyvand_runtime.identity import Caller, can_see_record, scope_filter
from peyvand_runtime.ids import is_id, new_id

from peyvand_ticketing import metrics
from peyvand_ticketing.adapters import customer_refs, reply_repo
from peyvand_ticketing.adapters.queue_repo import to_queue
from peyvand_ticketing.domain.assignment import validate_manual_assignment
from peyvand_ticketing.domain.task import Task, tasks_for_opened_ticket
from peyvand_ticketing.domain.ticket import Ticket
from peyvand_ticketing.domain.ticket_values import OPEN, RESOLVED, STATUSES, Attachment, Reply
from peyvand_ticketing.service_layer.context import Context, require_visible
from peyvand_ticketing.service_layer.open_batch import CLAIM_TAKEN, OpenWrite

IDEMPOTENCY = "ticket_idempotency"
SYSTEM = "system"
MAX_PAGE = 200
DEFAULT_PAGE = 50


@dataclass(frozen=True)
class OpenTicketCommand:
    type: str
    category: str
    channel: str
    customer_id: str
    subject: str
    description: str = ""
    impact: str = "medium"
    urgency: str = "medium"
    policy_number: str | None = None
    agent_id: str | None = None
    branch_code: str | None = None
    queue_id: str | None = None
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    idempotency_key: str = ""

    def fingerprint(self) -> str:
        body = {k: v for k, v in asdict(self).items() if k != "idempotency_key"}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _claim(caller: Caller, cmd: OpenTicketCommand, ticket_id: str, now: Any) -> dict[str, Any] | None:
    """The idempotency claim a keyed request inserts with its ticket (None without a key)."""
    if not cmd.idempotency_key:
        return None
    if len(cmd.idempotency_key) > 128:
        raise ValidationError.single("idempotency_key", "must be at most 128 characters")
    return {"_id": f"{caller.principal}:{cmd.idempotency_key}", "ticket_id": ticket_id, "fingerprint": cmd.fingerprint(), "at": now}


def _claimed_ticket_id(ctx: Context, claim: dict[str, Any]) -> str:
    """The ticket id an earlier request with this key claimed (``IDEMPOTENCY_KEY_REUSED`` for another payload)."""
    doc = ctx.db[IDEMPOTENCY].find_one({"_id": claim["_id"]})
    if doc is None:  # the claim vanished (pruned): this request claims afresh
        return ""
    if doc["fingerprint"] != claim["fingerprint"]:
        raise DomainError("this idempotency key was used for a different ticket", code="IDEMPOTENCY_KEY_REUSED")
    return str(doc["ticket_id"])


def open_ticket(ctx: Context, caller: Caller, cmd: OpenTicketCommand) -> tuple[Ticket, str]:
    """Returns the ticket and the call-back task id (empty unless a missed call).

    Validation, the customer projection and routing happen on the request thread; the claim of
    the idempotency key, the auto-assignment and the ticket insert are written together with
    concurrent opens (``open_batch``). A key claimed before (a retry) is answered one by one.
    """
    ticket_id = new_id("tkt")
    claim = _claim(caller, cmd, ticket_id, ctx.now())
    problems = Violations()
    queue_doc = None
    if cmd.queue_id:
        queue_doc = ctx.queues.get(cmd.queue_id)
        if queue_doc is None:
            problems.add("queue_id", "no such queue")
    try:
        _build(ctx, cmd, "T-0", cmd.customer_id, None, None, None, ticket_id)  # validates every field at once
    except ValidationError as exc:
        problems.items[:0] = list(exc.violations)
    problems.raise_if_any()
    ref = ctx.customer_reads.get(cmd.customer_id) or {}  # shared with concurrent opens: one $in find
    customer_id = ref.get("merged_into") or cmd.customer_id
    if customer_id != cmd.customer_id:
        ref = customer_refs.get(ctx.db, customer_id) or {}
    agent_id = cmd.agent_id or ref.get("agent_id") or None
    branch_code = cmd.branch_code or ref.get("branch_code") or None
    if caller.role != "service" and not can_see_record(caller, agent_id, branch_code):
        raise NotFound("customer not found", code="CUSTOMER_NOT_FOUND")
    now = ctx.now()
    if queue_doc is None:
        queue_doc = ctx.queues.route(branch_code, cmd.category.strip())
    for _ in range(2):
        ticket = _build(ctx, cmd, ctx.numbers.next(now), customer_id, branch_code, agent_id,
                        queue_doc["_id"] if queue_doc else None, ticket_id, opened_by=caller.principal)
        try:
            outcome = ctx.opens.submit(OpenWrite(ticket, queue_doc, claim))
        except pymongo.errors.DuplicateKeyError:
            existing = ctx.tickets.get(ticket_id)  # the same idempotent request won a race
            if existing is None:
                raise
            return existing, _call_back_task_id(ctx, existing)
        if outcome is not CLAIM_TAKEN:
            break
        assert claim is not None
        claimed = _claimed_ticket_id(ctx, claim)
        existing = ctx.tickets.get(claimed) if claimed else None
        if existing is not None:
            return existing, _call_back_task_id(ctx, existing)
        # claimed but never stored (the first attempt failed after its claim): open it under the claimed id
        ticket_id, claim = claimed or ticket_id, None if claimed else claim
    else:
        raise VersionConflict("another request is claiming this idempotency key right now; retry")
    metrics.TICKETS_OPENED.labels(ticket.type, ticket.channel).inc()
    return ticket, _create_call_back(ctx, ticket)


def _build(ctx: Context, cmd: OpenTicketCommand, number: str, customer_id: str, branch_code: str | None,
           agent_id: str | None, queue_id: str | None, ticket_id: str, opened_by: str = SYSTEM) -> Ticket:
    return Ticket.open(
        ticket_number=number, type=cmd.type, category=cmd.category, channel=cmd.channel, customer_id=customer_id,
        subject=cmd.subject, opened_by=opened_by, now=ctx.now(), calendar=ctx.calendar, description=cmd.description,
        impact=cmd.impact, urgency=cmd.urgency, policy_number=cmd.policy_number, branch_code=branch_code,
        queue_id=queue_id, agent_id=agent_id, attachments=cmd.attachments, sla_policy=ctx.policy, ticket_id=ticket_id,
    )


def _create_call_back(ctx: Context, ticket: Ticket) -> str:
    requests = tasks_for_opened_ticket(ticket)
    if not requests:
        return ""
    request = requests[0]
    if request.owner_id is None:
        request = replace(request, owner_id=ticket.agent_id)
    doc, _created = ctx.tasks.insert(Task.create(request, ctx.now()), ctx.now(), ticket.agent_id, ticket.branch_code)
    return str(doc.get("_id", ""))


def _call_back_task_id(ctx: Context, ticket: Ticket) -> str:
    if not ticket.is_missed_call:
        return ""
    doc = ctx.tasks.by_dedup_key(f"call_back:{ticket.id}")
    return doc["_id"] if doc else _create_call_back(ctx, ticket)


def load(ctx: Context, caller: Caller, ticket_id: str, expected_version: int = 0) -> Ticket:
    if not ticket_id:
        raise ValidationError.single("ticket_id", "must not be empty")
    ticket = require_visible(caller, ctx.tickets.get(ticket_id) if is_id(ticket_id, "tkt") else None)
    if expected_version and expected_version != ticket.version:
        raise VersionConflict("the ticket was changed by someone else; reload and try again",
                              metadata={"current_version": str(ticket.version), "expected_version": str(expected_version)})
    return ticket


def assign_ticket(ctx: Context, caller: Caller, ticket_id: str, assignee_id: str, queue_id: str = "",
                  override: bool = False, expected_version: int = 0) -> Ticket:
    problems = Violations()
    if not assignee_id.strip():
        problems.add("assignee_id", "must not be empty")
    problems.raise_if_any()
    ticket = load(ctx, caller, ticket_id, expected_version)
    queue_doc = ctx.queues.get(queue_id or ticket.queue_id or "") if (queue_id or ticket.queue_id) else None
    if queue_doc is None:
        raise ValidationError.single("queue_id", "no such queue" if queue_id else "the ticket has no queue; name one")
    queue = to_queue(queue_doc)
    if override and caller.role not in ("admin", "manager", "service") and caller.principal != queue.lead_user_id:
        raise PermissionDenied("only the queue lead or a manager may override the assignment checks")
    validate_manual_assignment(queue, assignee_id, ticket.category, override=override)
    ticket.assign(assignee_id, actor_id=caller.principal, now=ctx.now(), queue_id=queue.id)
    ctx.save_ticket(ticket)
    return ticket


def add_reply(ctx: Context, caller: Caller, ticket_id: str, body: str, *, public: bool, from_customer: bool = False,
              expected_version: int = 0) -> tuple[Ticket, dict[str, Any]]:
    ticket = load(ctx, caller, ticket_id, expected_version)
    responded_before = ticket.first_responded_at is not None
    now = ctx.now()
    reply: Reply = ticket.add_reply(caller.principal, body, public=public, now=now, from_customer=from_customer)
    version = ctx.save_ticket(ticket)
    doc = reply_repo.save_reply(ctx.db, reply, version)
    if not responded_before and ticket.first_responded_at is not None and ticket.sla is not None:
        minutes = ticket.sla.clock.elapsed(ticket.first_responded_at, ctx.calendar)
        metrics.FIRST_RESPONSE.labels(ticket.priority).observe(minutes * 60)
    return ticket, doc


def change_status(ctx: Context, caller: Caller, ticket_id: str, status: str, note: str = "", expected_version: int = 0) -> Ticket:
    if status not in STATUSES:
        raise ValidationError.single("status", "must be one of " + ", ".join(STATUSES))
    ticket = load(ctx, caller, ticket_id, expected_version)
    before = ticket.status
    now = ctx.now()
    ticket.change_status(status, actor_id=caller.principal, now=now, note=note, reopen_period=ctx.reopen_period)
    ctx.save_ticket(ticket)
    if status == RESOLVED and ticket.sla is not None:
        metrics.RESOLUTION.labels(ticket.priority).observe(ticket.sla.clock.elapsed(now, ctx.calendar) * 60)
    if before == RESOLVED and status == OPEN:
        metrics.REOPENS.inc()
    return ticket


def record_satisfaction(ctx: Context, caller: Caller, ticket_id: str, score: int, comment: str | None) -> Ticket:
    ticket = load(ctx, caller, ticket_id)
    ticket.record_satisfaction(score, comment, now=ctx.now())
    ctx.save_ticket(ticket)
    metrics.SATISFACTION.observe(score)
    return ticket


def page_size(requested: int) -> int:
    if requested < 0:
        raise ValidationError.single("page.page_size", "must not be negative")
    return min(requested or DEFAULT_PAGE, MAX_PAGE)


def list_tickets(
    ctx: Context, caller: Caller, filters: dict[str, str], after: str | None, size: int, statuses: Sequence[str] = ()
) -> tuple[list[Ticket], str | None]:
    """``statuses``: any of them (one query, ``$in``; with ``customer_id`` the store plans it on
    the customer index); not combined with ``filters["status"]``."""
    scope = scope_filter(caller)
    if scope is None:
        return [], None
    problems = Violations()
    if filters.get("status") and filters["status"] not in STATUSES:
        problems.add("status", "must be one of " + ", ".join(STATUSES))
    if statuses and filters.get("status"):
        problems.add("statuses", "cannot be combined with status")
    for i, status in enumerate(statuses):
        if status not in STATUSES:
            problems.add(f"statuses[{i}]", "must be one of " + ", ".join(STATUSES))
    if filters.get("sla_state") and filters["sla_state"] not in ("ok", "warning", "breached"):
        problems.add("sla_state", "must be one of ok, warning, breached")
    problems.raise_if_any()
    query: dict[str, Any] = {k: v for k, v in filters.items() if v}
    wanted = list(dict.fromkeys(statuses))
    if len(wanted) == 1:
        query["status"] = wanted[0]
    elif wanted:
        query["status"] = {"$in": wanted}
    query.update(scope)
    items = ctx.tickets.find_page(query, after, size + 1)
    more = len(items) > size
    items = items[:size]
    return items, (items[-1].id if more and items else None)


def list_replies(ctx: Context, caller: Caller, ticket_id: str, include_notes: bool, after: str | None, size: int) -> list[dict[str, Any]]:
    ticket = load(ctx, caller, ticket_id)
    # Notes are internal: staff, managers and admins see them; an agent sees only their own.
    sees_notes = include_notes and caller.role in ("staff", "manager", "admin", "service")
    return reply_repo.list_replies(ctx.db, ticket.id, sees_notes, caller.principal, after, size)


def activity(ctx: Context, caller: Caller, ticket_id: str, after: str | None, size: int) -> list[dict[str, Any]]:
    ticket = load(ctx, caller, ticket_id)
    return reply_repo.list_activity(ctx.db, ticket.id, after, size)
