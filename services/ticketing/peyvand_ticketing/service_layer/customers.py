"""What ticketing does with customer facts: keep the projection, follow reassigned customers,
re-point merged customers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from peyvand_runtime.domain import VersionConflict

from peyvand_ticketing.adapters import customer_refs
from peyvand_ticketing.adapters.task_repo import from_doc as task_from_doc
from peyvand_ticketing.domain.ticket import Ticket
from peyvand_ticketing.service_layer.context import Context

RETRIES = 5


def _change_tickets(ctx: Context, customer_id: str, change: Callable[[Ticket], bool]) -> int:
    """Apply ``change`` to each of the customer's tickets and save it (a compare-and-set, retried
    on a concurrent write with the ticket read again); returns how many were changed."""
    changed = 0
    for ticket_id in list(ctx.tickets.ids_for_customer(customer_id)):
        for _ in range(RETRIES):
            ticket = ctx.tickets.get(ticket_id)
            if ticket is None or not change(ticket):
                break
            try:
                ctx.save_ticket(ticket)
                changed += 1
                break
            except VersionConflict:
                continue
    return changed


def apply_customer_fact(ctx: Context, payload: dict[str, Any]) -> bool:
    return customer_refs.apply_snapshot(ctx.db, payload)


def repoint_merged(ctx: Context, merged_id: str, survivor_id: str) -> tuple[int, int]:
    """Move tickets and tasks of ``merged_id`` to ``survivor_id`` (idempotent: a re-run finds none left).

    Tickets and tasks take the survivor's agent and branch when the projection knows them.
    """
    customer_refs.mark_merged(ctx.db, merged_id, survivor_id)
    survivor = customer_refs.get(ctx.db, survivor_id) or {}
    def repoint(ticket: Ticket) -> bool:
        if not ticket.repoint_customer(merged_id, survivor_id, now=ctx.now()):
            return False
        ticket.agent_id = survivor.get("agent_id") or ticket.agent_id
        ticket.branch_code = survivor.get("branch_code") or ticket.branch_code
        return True

    moved_tickets, moved_tasks = _change_tickets(ctx, merged_id, repoint), 0
    for doc in list(ctx.db["tasks"].find({"customer_id": merged_id}, {"outbox": 0})):
        for _ in range(RETRIES):
            task = task_from_doc(doc)
            if not task.repoint_customer(merged_id, survivor_id):
                break
            scope = {"agent_id": survivor.get("agent_id") or doc.get("agent_id"), "branch_code": survivor.get("branch_code") or doc.get("branch_code")}
            try:
                ctx.tasks.save(task, ctx.now(), scope)
                moved_tasks += 1
                break
            except VersionConflict:
                doc = ctx.tasks.get_doc(doc["_id"]) or doc
    return moved_tickets, moved_tasks


def follow_reassigned(ctx: Context, customer_id: str) -> tuple[int, int]:
    """``customer.assigned``: the customer's tickets and tasks take the agent and branch the
    projection now holds (so they stay in the new agent's book, 360° view and sync, and leave the
    old agent's); an open task the previous agent owned goes to the new agent.

    Uses the projection, not the event, so a late or repeated event moves nothing backwards and a
    re-run finds nothing left to move. Returns (tickets moved, tasks moved).
    """
    ref = customer_refs.get(ctx.db, customer_id) or {}
    agent_id, branch_code = ref.get("agent_id"), ref.get("branch_code")
    if ref.get("merged_into") or not (agent_id or branch_code):
        return 0, 0
    moved_tickets = _change_tickets(ctx, customer_id, lambda t: t.follow_customer_owner(agent_id, branch_code, now=ctx.now()))
    moved_tasks = 0
    for doc in list(ctx.db["tasks"].find({"customer_id": customer_id}, {"outbox": 0})):
        for _ in range(RETRIES):
            scope = {"agent_id": agent_id or doc.get("agent_id"), "branch_code": branch_code or doc.get("branch_code")}
            if (scope["agent_id"], scope["branch_code"]) == (doc.get("agent_id"), doc.get("branch_code")):
                break
            task = task_from_doc(doc)
            task.follow_customer_owner(doc.get("agent_id"), scope["agent_id"])
            try:
                ctx.tasks.save(task, ctx.now(), scope)
                moved_tasks += 1
                break
            except VersionConflict:
                doc = ctx.tasks.get_doc(doc["_id"]) or doc
    return moved_tickets, moved_tasks
