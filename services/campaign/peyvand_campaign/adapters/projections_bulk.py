"""Policy facts from many events in two store calls: the batch counterpart of ``projections.apply_policy``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pymongo
from pymongo import UpdateOne
from pymongo.database import Database

from peyvand_campaign.adapters import projections
from peyvand_campaign.adapters.collections import POLICY_FACTS

_FIELDS = ("policy_number", "product_code", "product_name_fa", "product_name_en", "product_line", "holder_id", "agent_id", "branch_code",
           "term_start", "term_end", "premium", "total_premium", "renewal_premium", "renewal_total_premium")


def apply_policies(db: Database, payloads: list[dict[str, Any]], today: dt.date) -> None:
    """Version-guarded upserts of the facts the payloads carry (as ``apply_policy`` with no status).

    One ``$in`` read of the stored facts (to know which customers' derived policy fields need a
    refresh) and one unordered ``bulk_write`` of ``update_one({_id, version < v}, $set, upsert)``:
    an equal or newer stored version makes that upsert a duplicate key, which means "stale, skip"."""
    wanted = [p for p in payloads if p.get("policy_id")]
    if not wanted:
        return
    before = projections.policies(db, [p["policy_id"] for p in wanted])
    ops, refresh = [], set()
    for payload in wanted:
        fields = {name: payload[name] for name in _FIELDS if payload.get(name) not in (None, "")}
        version = int(payload.get("aggregate_version") or payload.get("version") or 0)
        stored = before.get(payload["policy_id"])
        if stored is not None and int(stored.get("version") or 0) >= version:
            continue  # stale or repeated: nothing to write
        ops.append(UpdateOne({"_id": payload["policy_id"], "version": {"$lt": version}}, {"$set": {**fields, "version": version}},
                             upsert=True))
        holder = fields.get("holder_id")
        if holder and (stored is None or any(stored.get(k) != fields.get(k) for k in _PROFILE_POLICY_FIELDS if k in fields)):
            refresh.add(holder)
    if ops:
        try:
            db[POLICY_FACTS].bulk_write(ops, ordered=False)
        except pymongo.errors.BulkWriteError as exc:
            if any(err.get("code") != 11000 for err in exc.details.get("writeErrors", [])):
                raise
    for customer_id in sorted(refresh):
        projections.refresh_profile_policies(db, customer_id, today)


# What segment_profile reads from a customer's policies (kept equal to projections._PROFILE_POLICY_FIELDS).
_PROFILE_POLICY_FIELDS = projections._PROFILE_POLICY_FIELDS
