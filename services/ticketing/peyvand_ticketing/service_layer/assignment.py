"""Picking an assignee from a queue: the domain chooses, the round-robin position is saved with CAS."""

from __future__ import annotations

from typing import Any

from peyvand_ticketing.adapters.queue_repo import to_queue
from peyvand_ticketing.domain.assignment import LEAST_LOADED, RoundRobinState, choose_assignee
from peyvand_ticketing.service_layer.context import Context

CAS_ATTEMPTS = 8


def member_loads(ctx: Context, doc: dict[str, Any]) -> dict[str, int]:
    """Open tickets per member (indexed ``assignee_id`` finds; members are few)."""
    members = doc.get("members", [])
    if doc.get("strategy") != LEAST_LOADED and not any(m.get("max_load") for m in members):
        return {}
    return {m["user_id"]: ctx.tickets.open_ids_for_assignee(m["user_id"]) for m in members}


def auto_assign(ctx: Context, queue_doc: dict[str, Any], category: str) -> str | None:
    """The next assignee (None: nobody eligible, the ticket waits in the queue)."""
    decision = None
    with ctx.queues.assignment_lock(queue_doc["_id"]):  # this process's turns one at a time
        doc = ctx.queues.latest(queue_doc)  # the newest copy this process has (its own turns included)
        for _ in range(CAS_ATTEMPTS):
            queue = to_queue(doc, member_loads(ctx, doc))
            decision = choose_assignee(queue, category, RoundRobinState(int(doc.get("rr_last_index", -1))))
            if not decision.assigned:
                return None
            if ctx.queues.advance_round_robin(doc, decision.state):
                return decision.assignee_id
            doc = ctx.queues.require(doc["_id"])  # another process took a turn meanwhile: decide again
    return decision.assignee_id if decision else None
