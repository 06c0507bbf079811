"""The policy worker's wiring: its database, set once at start-up by ``worker_main``."""

from __future__ import annotations

from peyvand_runtime import identity
from peyvand_runtime.identity import service_caller
from pymongo.database import Database

from peyvand_policy.adapters import customer_refs
from peyvand_policy.adapters.documents import ensure_indexes
from peyvand_policy.service_layer.context import PolicyServices
from peyvand_policy.service_layer.merges import repoint_customer

_state: dict[str, Database] = {}


def install(database: Database) -> None:
    _state["database"] = database
    ensure_indexes(database)


def database() -> Database:
    return _state["database"]


def on_customer_merged(merged_id: str, survivor_id: str) -> None:
    """Record the merge in the customer projection, then re-point every policy (both idempotent)."""
    customer_refs.mark_merged(database(), merged_id, survivor_id)
    with identity.bound(service_caller("policy-worker")):
        repoint_customer(PolicyServices(database()), merged_id, survivor_id)
