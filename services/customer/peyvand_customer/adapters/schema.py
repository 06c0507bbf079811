"""The customer database: collection names and the single-field indexes every query relies on."""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.database import Database

from peyvand_customer.domain.lookup import SLOTS

PARTIES = "parties"
TIMELINE = "timeline"
AUDIT = "audit"
DUPLICATE_CANDIDATES = "duplicate_candidates"
IDEMPOTENCY = "idempotency"
COUNTERS = "counters"

# One single-field index per filtered field: the embedded store ignores compound indexes for
# their leading field and cannot index array elements (see domain/lookup.py).
PARTY_INDEXES: tuple[tuple[str, bool], ...] = (
    ("customer_number", True),
    ("official_id_key", True),
    ("agent_id", False),
    ("branch_code", False),
    ("updated_at", False),
    ("outbox_pending", False),
    *((f"k{i}", False) for i in range(SLOTS)),
)


def ensure_indexes(db: Database) -> None:
    parties = db[PARTIES]
    for name, unique in PARTY_INDEXES:
        parties.create_index([(name, ASCENDING)], unique=unique, name=f"{name}_1")
    db[TIMELINE].create_index([("customer_id", ASCENDING)], name="customer_id_1")
    db[AUDIT].create_index([("customer_id", ASCENDING)], name="customer_id_1")
    for name in ("a", "b", "a_agent", "b_agent", "a_branch", "b_branch"):
        db[DUPLICATE_CANDIDATES].create_index([(name, ASCENDING)], name=f"{name}_1")
