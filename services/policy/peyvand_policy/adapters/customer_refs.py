"""What the policy service keeps about customers, learned from customer events (never asked for)."""

from __future__ import annotations

from typing import Any

import pymongo
from pymongo.database import Database

CUSTOMER_REFS = "customer_refs"


def ensure_indexes(database: Database) -> None:
    database[CUSTOMER_REFS].create_index("merged_into")


def apply_snapshot(database: Database, snapshot: dict[str, Any]) -> bool:
    """Upsert a customer's state unless a newer version is already stored (idempotent, order-safe).

    Returns True when the stored state changed.
    """
    customer_id = snapshot["customer_id"]
    version = int(snapshot.get("aggregate_version") or snapshot.get("version") or 0)
    fields = {
        "display_name": snapshot.get("display_name", ""),
        "agent_id": snapshot.get("agent_id", ""),
        "branch_code": snapshot.get("branch_code", ""),
        "mobile": snapshot.get("mobile", ""),
        "email": snapshot.get("email", ""),
        "language": snapshot.get("language", "fa"),
        "status": snapshot.get("status", "active"),
        "version": version,
    }
    try:
        result = database[CUSTOMER_REFS].update_one({"_id": customer_id, "version": {"$lt": version}}, {"$set": fields}, upsert=True)
    except pymongo.errors.DuplicateKeyError:
        return False  # a newer (or the same) version is already here
    return bool(result.modified_count or result.upserted_id)


def mark_merged(database: Database, merged_id: str, survivor_id: str) -> None:
    database[CUSTOMER_REFS].update_one({"_id": merged_id}, {"$set": {"merged_into": survivor_id, "status": "merged"}}, upsert=True)
