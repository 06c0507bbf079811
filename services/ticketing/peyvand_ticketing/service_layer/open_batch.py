"""Group commit of OpenTicket: concurrent opens share their store writes.

The request thread validates, reads the customer projection, routes the queue, numbers and
builds the ticket; it submits the ticket, its queue and its idempotency claim. One flush then
writes the batch, in this order:

1. one unordered ``insert_many`` of the idempotency claims: a claim that exists already (a retry,
   or a race on the same key) takes its request out of the batch, and that caller goes the
   one-by-one way (read the claim, compare the fingerprint, answer the stored ticket);
2. per queue, the auto-assignments in order with ONE compare-and-set of the round-robin
   position (``auto_assign_many``);
3. one unordered ``insert_many`` of the tickets, each document carrying its first activity and
   its outbox envelopes (ADR 0003); a duplicate key fails that request alone.

A store error fails every caller of the batch with STORE_UNAVAILABLE. Each ticket is then
stored whole or not at all; a claim written for a ticket that was not is found by the retry
(same key, same fingerprint: the claimed ticket id is opened then), and a round-robin turn
taken for a ticket that was not stored is skipped — the same states a crash between two
writes leaves today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.group_commit import GroupCommit, Pending, insert_many_errors
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from peyvand_ticketing.domain.ticket import Ticket

IDEMPOTENCY = "ticket_idempotency"
SYSTEM = "system"
MAX_BATCH = 64


@dataclass(frozen=True)
class OpenWrite:
    ticket: Ticket
    queue_doc: dict[str, Any] | None
    claim: dict[str, Any] | None  # the idempotency claim to insert first (None: no key, or already claimed)


class ClaimTaken:
    """The request's idempotency key was claimed before: answer it the one-by-one way."""


CLAIM_TAKEN = ClaimTaken()


class OpenCommitter:
    """One per process (on the service ``Context``); thread-safe."""

    def __init__(self, ctx: Any, db: Database[Any], max_batch: int = MAX_BATCH, linger_seconds: float = 0.0) -> None:
        self.ctx = ctx
        self.claims = db[IDEMPOTENCY]
        self.commit: GroupCommit[OpenWrite, object] = GroupCommit("ticketing_open", self._flush, max_batch=max_batch,
                                                                  linger_seconds=linger_seconds)

    def submit(self, write: OpenWrite) -> object:
        """``None`` when stored (the ticket is at version 1), ``CLAIM_TAKEN``, or raises (``DuplicateKeyError``…)."""
        return self.commit.submit(write)

    def _flush(self, batch: Sequence[Pending[OpenWrite]]) -> list[object]:
        from peyvand_ticketing.service_layer.assignment import auto_assign_many

        ctx = self.ctx
        writes = [p.item for p in batch]
        outcomes: list[object] = [None] * len(writes)
        claimed = [i for i, w in enumerate(writes) if w.claim is not None]
        for j, error in insert_many_errors(self.claims, [writes[i].claim or {} for i in claimed]).items():
            outcomes[claimed[j]] = CLAIM_TAKEN if isinstance(error, DuplicateKeyError) else error
        live = [i for i, outcome in enumerate(outcomes) if outcome is None]
        by_queue: dict[str, list[int]] = {}
        for i in live:
            if writes[i].queue_doc is not None:
                by_queue.setdefault(writes[i].queue_doc["_id"], []).append(i)  # type: ignore[index]
        now = ctx.now()
        for indexes in by_queue.values():
            queue_doc = writes[indexes[0]].queue_doc
            assert queue_doc is not None
            assignees = auto_assign_many(ctx, queue_doc, [writes[i].ticket.category for i in indexes])
            for i, assignee in zip(indexes, assignees, strict=True):
                if assignee is not None:
                    writes[i].ticket.assign(assignee, actor_id=SYSTEM, now=now)
        calendar, policy = ctx.calendar, ctx.policy
        # envelopes carry the caller's correlation id and trace: build each in its caller's context
        documents = [batch[i].context.run(ctx.tickets.new_document, writes[i].ticket, now, calendar, policy) for i in live]
        for j, error in insert_many_errors(ctx.tickets.collection, documents).items():
            outcomes[live[j]] = error
        for i in live:
            if outcomes[i] is None:
                ctx.tickets.inserted(writes[i].ticket)
        return outcomes
