"""Picking an assignee from a queue: the domain chooses, the round-robin position is saved with CAS."""

from __future__ import annotations

from typing import Any

from peyvand_ticketing.adapters.queue_repo import to_queue
from peyvand_ticketing.domain.assignment import LEAST_LOADED, RoundRobinState, choose_assignee, with_load_change
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
    return auto_assign_many(ctx, queue_doc, [category])[0]


def auto_assign_many(ctx: Context, queue_doc: dict[str, Any], categories: list[str]) -> list[str | None]:
    """Assignees for several new tickets of one queue, in order, as if assigned one after another
    (each turn moves the rotation and adds one to the chosen member's load), saved with ONE
    compare-and-set of the round-robin position; a conflict re-decides them all."""
    chosen: list[str | None] = [None] * len(categories)
    with ctx.queues.assignment_lock(queue_doc["_id"]):  # this process's turns one at a time
        doc = ctx.queues.latest(queue_doc)  # the newest copy this process has (its own turns included)
        for _ in range(CAS_ATTEMPTS):
            queue = to_queue(doc, member_loads(ctx, doc))
            state = RoundRobinState(int(doc.get("rr_last_index", -1)))
            chosen = []
            for category in categories:
                decision = choose_assignee(queue, category, state)
                if decision.assigned and decision.assignee_id is not None:
                    state = decision.state
                    queue = with_load_change(queue, decision.assignee_id, +1)
                    chosen.append(decision.assignee_id)
                else:
                    chosen.append(None)
            if not any(chosen):
                return chosen
            if ctx.queues.advance_round_robin(doc, state):
                return chosen
            doc = ctx.queues.require(doc["_id"])  # another process took a turn meanwhile: decide again
    return chosen
