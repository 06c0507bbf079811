"""What ticketing keeps about customers (agent, branch, name), learned from customer events."""

from __future__ import annotations

from typing import Any

import pymongo
from pymongo.database import Database

CUSTOMER_REFS = "customer_refs"


def apply_snapshot(db: Database, payload: dict[str, Any], fields: tuple[str, ...] = ("agent_id", "branch_code", "display_name")) -> bool:
    """Upsert unless a newer (or the same) version is stored; returns True when it changed something."""
    version = int(payload.get("aggregate_version") or payload.get("version") or 0)
    update = {name: payload[name] for name in fields if name in payload and payload[name] is not None}
    update["version"] = version
    try:
        result = db[CUSTOMER_REFS].update_one({"_id": payload["customer_id"], "version": {"$lt": version}}, {"$set": update}, upsert=True)
    except pymongo.errors.DuplicateKeyError:
        return False
    return bool(result.modified_count or result.upserted_id)


def mark_merged(db: Database, merged_id: str, survivor_id: str) -> None:
    db[CUSTOMER_REFS].update_one({"_id": merged_id}, {"$set": {"merged_into": survivor_id, "status": "merged"}}, upsert=True)


def get(db: Database, customer_id: str) -> dict[str, Any] | None:
    return db[CUSTOMER_REFS].find_one({"_id": customer_id})
