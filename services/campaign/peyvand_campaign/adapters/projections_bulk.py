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


def apply_policies(db: Database, payloads: list[dict[str, Any]], today: dt.date) -> dict[str, dict[str, Any]]:
    """Version-guarded upserts of the facts the payloads carry (as ``apply_policy`` with no status).

    One ``$in`` read of the stored facts (to know which customers' derived policy fields need a
    refresh) and one unordered ``bulk_write`` of ``update_one({_id, version < v}, $set, upsert)``:
    an equal or newer stored version makes that upsert a duplicate key, which means "stale, skip".

    Returns policy id -> the fact as this call leaves it for the messages planned from the events
    (the stored one merged with the payload's fields, or the stored one alone when it was as new
    or newer). A write that would only add the renewal quote is left out (``_only_the_quote_is_new``):
    the quote is then in the returned fact, for the deliveries to carry, and not in the store."""
    wanted = [p for p in payloads if p.get("policy_id")]
    if not wanted:
        return {}
    before = projections.policies(db, [p["policy_id"] for p in wanted])
    ops, refresh = [], set()
    facts: dict[str, dict[str, Any]] = {}
    for payload in wanted:
        fields = {name: payload[name] for name in _FIELDS if payload.get(name) not in (None, "")}
        version = int(payload.get("aggregate_version") or payload.get("version") or 0)
        stored = before.get(payload["policy_id"])
        known = facts.get(payload["policy_id"]) or stored
        if known is not None and int(known.get("version") or 0) >= version:
            facts.setdefault(payload["policy_id"], known)
            continue  # stale or repeated: nothing to write
        facts[payload["policy_id"]] = {**(known or {"_id": payload["policy_id"]}), **fields, "version": version}
        if known is stored and _only_the_quote_is_new(stored, fields, version):
            continue  # the quote rides on the deliveries planned from this event (render_snapshot)
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
    return facts


# The renewal quote of a ``policy.renewal_due``: the messages planned from the event carry it.
QUOTE_FIELDS = ("renewal_premium", "renewal_total_premium")


def _only_the_quote_is_new(stored: dict[str, Any] | None, fields: dict[str, Any], version: int) -> bool:
    """True when writing the event would change nothing but the renewal quote and the version, and
    the event is the very next version of the stored fact. Then the write is left out: no event
    lies between the two, so no older fact still in flight can slip in under the unrecorded
    version (it is ≤ the stored one and refused as stale), and nothing a segment or a profile
    derives from the fact changes. With a gap in the versions the fact is written as before."""
    if stored is None or int(stored.get("version") or 0) != version - 1:
        return False
    return all(stored.get(name) == value for name, value in fields.items() if name not in QUOTE_FIELDS)


# What a message renders from a policy fact (rendering.context_from, agent_id_for): carried on a
# renewal delivery as ``policy`` so the sender need not read the fact again.
RENDER_FIELDS = ("policy_number", "product_code", "product_name_fa", "product_name_en", "term_end", "premium",
                 "renewal_premium", "renewal_total_premium", "agent_id")


def render_snapshot(fact: dict[str, Any] | None) -> dict[str, Any] | None:
    if not fact:
        return None
    return {name: fact[name] for name in RENDER_FIELDS if fact.get(name) not in (None, "")} or None


# What segment_profile reads from a customer's policies (kept equal to projections._PROFILE_POLICY_FIELDS).
_PROFILE_POLICY_FIELDS = projections._PROFILE_POLICY_FIELDS
