"""The customer worker's wiring: its database, set once at start-up by ``worker_main``."""

from __future__ import annotations

import os

from pymongo.database import Database

from peyvand_customer.adapters.schema import ensure_indexes

_state: dict[str, Database] = {}


def install(database: Database) -> None:
    _state["database"] = database
    ensure_indexes(database)


def database() -> Database:
    return _state["database"]


def gauge_interval() -> float:
    return float(os.environ.get("PARTIES_GAUGE_INTERVAL_SECONDS", "300"))
