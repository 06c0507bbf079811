"""What campaign learns from other services' events: customer profiles, policy facts, agents.

Every write is an upsert guarded by the source aggregate's version
(``update_one({_id, version: {$lt: v}}, ..., upsert=True)``; DuplicateKeyError = a newer or
equal version is already stored), so redelivered and out-of-order events are harmless.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pymongo
from pymongo.database import Database

from peyvand_campaign.adapters.collections import AGENTS, POLICY_FACTS, PROFILES
from peyvand_campaign.domain.consent import effective_consents
from peyvand_campaign.domain.profiles import segment_profile

CUSTOMER_FIELDS = ("customer_number", "kind", "display_name", "first_name", "last_name", "birth_date", "gender",
                   "roles", "agent_id", "branch_code", "mobile", "email", "city", "province", "preferred_channel",
                   "language", "consents", "tags", "status")


def _consents(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**c, "granted": bool(c.get("granted"))} for c in doc.get("consents") or []]


def _version(payload: dict[str, Any]) -> int:
    return int(payload.get("aggregate_version") or payload.get("version") or 0)


def _guarded_upsert(db: Database, collection: str, key: str, version: int, fields: dict[str, Any],
                    on_insert: dict[str, Any] | None = None) -> bool:
    update: dict[str, Any] = {"$set": {**fields, "version": version}}
    if on_insert:
        update["$setOnInsert"] = on_insert
    try:
        result = db[collection].update_one({"_id": key, "version": {"$lt": version}}, update, upsert=True)
    except pymongo.errors.DuplicateKeyError:
        return False
    return bool(result.modified_count or result.upserted_id)


def _policy_docs(db: Database, customer_id: str) -> list[dict[str, Any]]:
    return list(db[POLICY_FACTS].find({"holder_id": customer_id}))


def _derived(customer: dict[str, Any], policies: list[dict[str, Any]], today: dt.date) -> dict[str, Any]:
    derived = segment_profile(customer, policies, today, tags=customer.get("tags") or [])
    derived.pop("customer_id", None)
    return derived


def apply_customer(db: Database, payload: dict[str, Any], today: dt.date) -> bool:
    """customer.created / customer.updated (flat snapshot, or nested under ``customer``)."""
    snapshot = dict(payload.get("customer") or payload)
    snapshot.setdefault("aggregate_version", payload.get("aggregate_version"))
    customer_id = snapshot["customer_id"]
    fields: dict[str, Any] = {name: snapshot.get(name) for name in CUSTOMER_FIELDS if name in snapshot}
    fields["consents"] = [{"channel": c.get("channel"), "purpose": c.get("purpose"), "granted": c.get("granted") is True}
                          for c in snapshot.get("consents") or []]
    if snapshot.get("push_tokens"):
        fields["push_tokens"] = list(snapshot["push_tokens"])
    fields.update(_derived(fields, _policy_docs(db, customer_id), today))
    return _guarded_upsert(db, PROFILES, customer_id, _version(snapshot), fields, {"push_tokens": []} if "push_tokens" not in fields else None)


def apply_consent(db: Database, payload: dict[str, Any]) -> bool:
    """customer.consent_changed: append to the consent list and refresh the flags."""
    customer_id = payload["customer_id"]
    version = _version(payload)
    for _ in range(5):
        current = db[PROFILES].find_one({"_id": customer_id}) or {}
        if current and int(current.get("version", 0)) >= version:
            return False
        consents = _consents(current)
        consents.append({"channel": payload.get("channel"), "purpose": payload.get("purpose"), "granted": payload.get("granted") is True})
        fields = {"consents": consents, **effective_consents(consents), "version": version}
        guard = {"_id": customer_id, "version": current.get("version", 0)} if current else {"_id": customer_id}
        try:
            if current:
                if db[PROFILES].update_one(guard, {"$set": fields}).matched_count:
                    return True
            else:
                db[PROFILES].insert_one({**guard, **fields, "push_tokens": []})
                return True
        except pymongo.errors.DuplicateKeyError:
            pass
    raise RuntimeError("profile kept changing while applying a consent change")


def apply_local_opt_out(db: Database, customer_id: str, channel: str, purposes: list[str]) -> None:
    """Our own STOP / unsubscribe: refuse further messages at once, before the customer service's
    ``customer.consent_changed`` comes back (version untouched: that event still applies)."""
    current = db[PROFILES].find_one({"_id": customer_id}, {"consents": 1})
    if current is None:
        return
    consents = _consents(current) + [{"channel": channel, "purpose": p, "granted": False} for p in purposes]
    db[PROFILES].update_one({"_id": customer_id}, {"$set": {"consents": consents, **effective_consents(consents)}})


def apply_assignment(db: Database, payload: dict[str, Any]) -> bool:
    return _guarded_upsert(db, PROFILES, payload["customer_id"], _version(payload),
                           {"agent_id": payload.get("agent_id") or None, "branch_code": payload.get("branch_code") or None})


def mark_merged(db: Database, merged_id: str, survivor_id: str) -> None:
    db[PROFILES].update_one({"_id": merged_id}, {"$set": {"merged_into": survivor_id, "status": "merged"},
                                                 "$setOnInsert": {"version": 0}}, upsert=True)
    db[POLICY_FACTS].update_many({"holder_id": merged_id}, {"$set": {"holder_id": survivor_id}})


def apply_policy(db: Database, payload: dict[str, Any], status: str | None, today: dt.date) -> bool:
    """policy.issued / renewed / lapsed / cancelled / renewal_due: keep what templates and segments use."""
    policy_id = payload.get("policy_id") or payload.get("new_policy_id")
    if not policy_id:
        return False
    fields: dict[str, Any] = {}
    for name in ("policy_number", "product_code", "product_name_fa", "product_name_en", "product_line", "holder_id", "agent_id", "branch_code",
                 "term_start", "term_end", "premium", "total_premium", "renewal_premium", "renewal_total_premium"):
        if payload.get(name) not in (None, ""):
            fields[name] = payload[name]
    if status:
        fields["status"] = status
    version = _version(payload)
    try:
        # One call: the write and the fact as it was, so the customer's derived policy fields
        # are recomputed only when something they depend on changed (renewal_due usually
        # brings only renewal prices: no profile refresh, three store calls saved).
        before = db[POLICY_FACTS].find_one_and_update({"_id": policy_id, "version": {"$lt": version}},
                                                      {"$set": {**fields, "version": version}}, upsert=True,
                                                      return_document=pymongo.ReturnDocument.BEFORE)
    except pymongo.errors.DuplicateKeyError:
        return False
    holder = fields.get("holder_id")
    if holder and (before is None or any(before.get(k) != fields.get(k) for k in _PROFILE_POLICY_FIELDS if k in fields)):
        refresh_profile_policies(db, holder, today)
    return True


# What segment_profile reads from a customer's policies (see domain/profiles.py).
_PROFILE_POLICY_FIELDS = ("holder_id", "status", "term_end", "product_line", "premium")


def refresh_profile_policies(db: Database, customer_id: str, today: dt.date) -> None:
    profile = db[PROFILES].find_one({"_id": customer_id})
    if profile is None:
        return
    derived = _derived(profile, _policy_docs(db, customer_id), today)
    policy_fields = ("product_lines", "policy_statuses", "next_term_end", "total_premium")
    db[PROFILES].update_one({"_id": customer_id}, {"$set": {k: derived[k] for k in policy_fields}})


def apply_agent(db: Database, payload: dict[str, Any]) -> bool:
    fields = {k: payload.get(k) or "" for k in ("display_name", "mobile", "branch_code")}
    return _guarded_upsert(db, AGENTS, payload["agent_id"], _version(payload), fields)


def add_push_token(db: Database, customer_id: str, token: str) -> None:
    # version 0 on insert: the customer's own snapshot (version >= 1) still lands afterwards.
    db[PROFILES].update_one({"_id": customer_id}, {"$addToSet": {"push_tokens": token}, "$setOnInsert": {"version": 0}}, upsert=True)


def _restored(doc: dict[str, Any]) -> dict[str, Any]:
    doc["consents"] = [{**c, "granted": bool(c.get("granted"))} for c in doc.get("consents") or []]
    for key, value in list(doc.items()):
        if key.startswith("consent_") and isinstance(value, int):
            doc[key] = bool(value)
    return doc


def profile(db: Database, customer_id: str) -> dict[str, Any] | None:
    """The profile with booleans restored: nx-27017 0.8.1 returns a bool written by ``$set`` as 0/1,
    and the consent rules test ``granted is True``."""
    doc = db[PROFILES].find_one({"_id": customer_id})
    return _restored(doc) if doc is not None else None


def profiles(db: Database, customer_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Many profiles in one read (``$in`` on ``_id``, which the embedded store answers by index)."""
    ids = list(dict.fromkeys(i for i in customer_ids if i))
    return {d["_id"]: _restored(d) for d in db[PROFILES].find({"_id": {"$in": ids}})} if ids else {}


def policies(db: Database, policy_ids: list[str]) -> dict[str, dict[str, Any]]:
    ids = list(dict.fromkeys(i for i in policy_ids if i))
    return {d["_id"]: d for d in db[POLICY_FACTS].find({"_id": {"$in": ids}})} if ids else {}


def agents(db: Database, agent_ids: list[str]) -> dict[str, dict[str, Any]]:
    ids = list(dict.fromkeys(i for i in agent_ids if i))
    return {d["_id"]: d for d in db[AGENTS].find({"_id": {"$in": ids}})} if ids else {}


def policy(db: Database, policy_id: str) -> dict[str, Any] | None:
    return db[POLICY_FACTS].find_one({"_id": policy_id})


def agent(db: Database, agent_id: str) -> dict[str, Any] | None:
    return db[AGENTS].find_one({"_id": agent_id}) if agent_id else None
