"""The ticketing service's event handlers (nameko): renewal-call tasks, customer projection,
reassignments, merges.

Each handler is idempotent by key: tasks by their unique ``dedup_key``, the projection by
``aggregate_version``, merges by re-pointing only what still points at the merged id.
"""

from __future__ import annotations

import logging
from typing import Any

from peyvand_runtime.consumer import on_event
from peyvand_runtime.domain import ValidationError
from peyvand_runtime.envelope import Envelope
from peyvand_runtime.identity import bound, service_caller

from peyvand_ticketing.entrypoints import worker_deps
from peyvand_ticketing.service_layer import customers, tasks

log = logging.getLogger(__name__)
WORKER = service_caller("ticketing-worker")


def _require(payload: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if not payload.get(name)]
    if missing:
        raise ValidationError.single(missing[0], "missing in event payload")


class TicketingWorker:
    name = "ticketing"

    @on_event("campaign", "campaign.agent_task_requested")
    def handle_agent_task_requested(self, envelope: Envelope) -> None:
        _require(envelope.payload, "customer_id", "policy_id", "dedup_key")
        with bound(WORKER):
            doc, created = tasks.request_renewal_call(worker_deps.context(), envelope.payload)
        log.info("renewal call task", extra={"task_id": doc.get("_id"), "task_created": created})

    @on_event("customer", "customer.created")
    def handle_customer_created(self, envelope: Envelope) -> None:
        _require(envelope.payload, "customer_id")
        customers.apply_customer_fact(worker_deps.context(), envelope.payload)

    @on_event("customer", "customer.updated")
    def handle_customer_updated(self, envelope: Envelope) -> None:
        _require(envelope.payload, "customer_id")
        customers.apply_customer_fact(worker_deps.context(), envelope.payload)

    @on_event("customer", "customer.assigned")
    def handle_customer_assigned(self, envelope: Envelope) -> None:
        _require(envelope.payload, "customer_id")
        ctx = worker_deps.context()
        customers.apply_customer_fact(ctx, envelope.payload)
        with bound(WORKER):
            moved = customers.follow_reassigned(ctx, envelope.payload["customer_id"])
        log.info("customer reassigned", extra={"tickets_moved": moved[0], "tasks_moved": moved[1]})

    @on_event("customer", "customer.merged")
    def handle_customer_merged(self, envelope: Envelope) -> None:
        _require(envelope.payload, "survivor_id", "merged_id")
        with bound(WORKER):
            customers.repoint_merged(worker_deps.context(), envelope.payload["merged_id"], envelope.payload["survivor_id"])
