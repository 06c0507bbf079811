"""The customer database: collection names and the single-field indexes every query relies on."""

from __future__ import annotations

from peyvand_runtime import store
from pymongo import ASCENDING
from pymongo.database import Database

from peyvand_customer.domain.lookup import LAYOUT, SLOTS

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
    ("household_id", False),
    *((f"k{i}", False) for i in range(SLOTS)),
)


# Built after an initial bulk load instead of during it (the embedded store's insert cost grows
# with every index); the unique ones stay because they refuse duplicates, ``outbox_pending``
# because the relay polls it while the load runs.
DEFERRABLE: tuple[str, ...] = tuple(name for name, unique in PARTY_INDEXES if not unique and name != "outbox_pending")


def drop_deferrable_indexes(db: Database) -> list[str]:
    """Drop the party indexes an initial load may build afterwards; returns the names dropped."""
    return store.drop_single_field_indexes(db[PARTIES], DEFERRABLE)


# ``{_id: LOOKUP_LAYOUT, v: n}`` in COUNTERS: the slot layout every party of the book is in
# (domain/lookup.py). A book without the marker was written before layouts were numbered (1),
# unless it is empty (then every party will be written in the current layout).
LOOKUP_LAYOUT = "lookup_layout"


def lookup_layout(db: Database) -> int:
    doc = db[COUNTERS].find_one({"_id": LOOKUP_LAYOUT})
    return int(doc["v"]) if doc else 1


def set_lookup_layout(db: Database, version: int) -> None:
    db[COUNTERS].update_one({"_id": LOOKUP_LAYOUT}, {"$set": {"v": version}}, upsert=True)


def ensure_lookup_layout(db: Database) -> None:
    """Mark a book that has no layout marker: the current layout if it is empty, else 1."""
    if db[COUNTERS].find_one({"_id": LOOKUP_LAYOUT}) is None:
        version = LAYOUT if db[PARTIES].estimated_document_count() == 0 else 1
        db[COUNTERS].update_one({"_id": LOOKUP_LAYOUT}, {"$setOnInsert": {"v": version}}, upsert=True)


def ensure_indexes(db: Database) -> None:
    ensure_lookup_layout(db)
    parties = db[PARTIES]
    for name, unique in PARTY_INDEXES:
        parties.create_index([(name, ASCENDING)], unique=unique, name=f"{name}_1")
    db[TIMELINE].create_index([("customer_id", ASCENDING)], name="customer_id_1")
    db[AUDIT].create_index([("customer_id", ASCENDING)], name="customer_id_1")
    for name in ("a", "b", "a_agent", "b_agent", "a_branch", "b_branch"):
        db[DUPLICATE_CANDIDATES].create_index([(name, ASCENDING)], name=f"{name}_1")
