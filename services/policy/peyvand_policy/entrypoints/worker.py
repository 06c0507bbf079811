"""The policy service's event handlers (nameko): what it learns from other services."""

from __future__ import annotations

from typing import Any

from peyvand_runtime.consumer import on_event
from peyvand_runtime.domain import ValidationError
from peyvand_runtime.envelope import Envelope

from peyvand_policy.adapters import customer_refs
from peyvand_policy.entrypoints import worker_deps


def _require(payload: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if not payload.get(name)]
    if missing:
        raise ValidationError.single(missing[0], "missing in event payload")


class PolicyWorker:
    name = "policy"

    @on_event("customer", "customer.created")
    def handle_customer_created(self, envelope: Envelope) -> None:
        _require(envelope.payload, "customer_id")
        customer_refs.apply_snapshot(worker_deps.database(), envelope.payload)

    @on_event("customer", "customer.updated")
    def handle_customer_updated(self, envelope: Envelope) -> None:
        _require(envelope.payload, "customer_id")
        customer_refs.apply_snapshot(worker_deps.database(), envelope.payload)

    @on_event("customer", "customer.merged")
    def handle_customer_merged(self, envelope: Envelope) -> None:
        _require(envelope.payload, "survivor_id", "merged_id")
        worker_deps.on_customer_merged(envelope.payload["merged_id"], envelope.payload["survivor_id"])
