"""The policy worker's wiring: its database, set once at start-up by ``worker_main``."""

from __future__ import annotations

from pymongo.database import Database

from peyvand_policy.adapters import customer_refs

_state: dict[str, Database] = {}


def install(database: Database) -> None:
    _state["database"] = database
    customer_refs.ensure_indexes(database)


def database() -> Database:
    return _state["database"]


def on_customer_merged(merged_id: str, survivor_id: str) -> None:
    customer_refs.mark_merged(database(), merged_id, survivor_id)
