"""Journeys in the store: whole-document saves with a version check and the outbox (one by one or in bulk)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import pymongo
from peyvand_runtime import outbox
from pymongo import UpdateOne
from pymongo.database import Database

from peyvand_campaign.adapters.collections import JOURNEYS, instant
from peyvand_campaign.domain.journeys import Journey, StepRecord


def to_fields(j: Journey) -> dict[str, Any]:
    return {
        "kind": j.kind, "customer_id": j.customer_id, "policy_id": j.policy_id, "ticket_id": j.ticket_id,
        "campaign_id": j.campaign_id, "term_end": j.term_end.isoformat() if j.term_end else None,
        "status": j.status, "started_at": j.started_at, "ended_at": j.ended_at, "stopped_reason": j.stopped_reason,
        "steps_done": [{"window": s.window, "at": s.at, "outcome": s.outcome} for s in j.steps_done.values()],
        # dedup keys contain ":"; stored as lists so no key ever becomes a field path.
        "message_outcomes": [[k, v] for k, v in j.message_outcomes.items()],
        "sent_at": [[k, v] for k, v in j.sent_at.items()],
        "merged_customer_ids": list(j.merged_customer_ids), "natural_key": j.natural_key,
    }


def from_doc(doc: dict[str, Any]) -> Journey:
    j = Journey(id=doc["_id"], version=int(doc["version"]), kind=doc["kind"], customer_id=doc["customer_id"],
                policy_id=doc.get("policy_id", ""), ticket_id=doc.get("ticket_id", ""), campaign_id=doc.get("campaign_id", ""),
                term_end=dt.date.fromisoformat(doc["term_end"]) if doc.get("term_end") else None, status=doc["status"],
                started_at=instant(doc["started_at"]) if doc.get("started_at") else None,
                ended_at=instant(doc["ended_at"]) if doc.get("ended_at") else None, stopped_reason=doc.get("stopped_reason", ""))
    j.steps_done = {int(s["window"]): StepRecord(int(s["window"]), instant(s["at"]), s["outcome"]) for s in doc.get("steps_done", [])}
    j.message_outcomes = {k: v for k, v in doc.get("message_outcomes", [])}
    j.sent_at = {k: instant(v) for k, v in doc.get("sent_at", [])}
    j.merged_customer_ids = list(doc.get("merged_customer_ids", []))
    return j


def by_natural_key(db: Database, key: str) -> Journey | None:
    doc = db[JOURNEYS].find_one({"natural_key": key})
    return from_doc(doc) if doc else None


def get(db: Database, journey_id: str) -> Journey | None:
    doc = db[JOURNEYS].find_one({"_id": journey_id})
    return from_doc(doc) if doc else None


def for_policy(db: Database, policy_id: str) -> list[Journey]:
    return [from_doc(d) for d in db[JOURNEYS].find({"policy_id": policy_id})]


def for_customer(db: Database, customer_id: str) -> list[Journey]:
    return [from_doc(d) for d in db[JOURNEYS].find({"customer_id": customer_id})]


def save(db: Database, journey: Journey, now: dt.datetime) -> None:
    journey.version = outbox.save(db[JOURNEYS], journey.id, journey.version, to_fields(journey),
                                  journey.pull_events(), "campaign", now)


def get_many(db: Database, journey_ids: list[str]) -> dict[str, Journey]:
    """Many journeys in one read (``$in`` on ``_id``: indexed on every engine)."""
    ids = list(dict.fromkeys(i for i in journey_ids if i))
    return {d["_id"]: from_doc(d) for d in db[JOURNEYS].find({"_id": {"$in": ids}})} if ids else {}


def insert_many_new(db: Database, journeys: list[Journey], now: dt.datetime) -> set[str]:
    """Insert new journeys (version 1, events in the same document) in one unordered ``insert_many``.
    Returns the ids refused by a unique index (same id or natural key stored meanwhile): those
    were not written; the rest are at version 1."""
    if not journeys:
        return set()
    docs = []
    for journey in journeys:
        pending = outbox.envelopes(journey.pull_events(), "campaign", now, 1)
        docs.append({**to_fields(journey), "_id": journey.id, "version": 1, outbox.OUTBOX: pending, outbox.PENDING: 1 if pending else 0})
    refused: set[str] = set()
    try:
        db[JOURNEYS].insert_many(docs, ordered=False)
    except pymongo.errors.BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(err.get("code") != 11000 for err in errors):
            raise
        refused = {journeys[int(err["index"])].id for err in errors}
    for journey in journeys:
        if journey.id not in refused:
            journey.version = 1
    return refused


def save_many(db: Database, journeys: list[Journey], now: dt.datetime) -> set[str]:
    """Compare-and-set saves of stored journeys in one ``bulk_write`` (events appended in the same
    write, as ``save`` does). Returns the ids whose version had moved on: nothing written for them."""
    if not journeys:
        return set()
    stamp = uuid.uuid4().hex
    ops = []
    for journey in journeys:
        new_version = journey.version + 1
        pending = outbox.envelopes(journey.pull_events(), "campaign", now, new_version)
        update: dict[str, Any] = {"$set": {**to_fields(journey), "version": new_version, "write_stamp": stamp}}
        if pending:
            update["$set"][outbox.PENDING] = 1
            update["$push"] = {outbox.OUTBOX: {"$each": pending}}
        ops.append(UpdateOne({"_id": journey.id, "version": journey.version}, update))
    result = db[JOURNEYS].bulk_write(ops, ordered=False)
    if result.matched_count == len(ops):
        landed = {j.id for j in journeys}
    else:
        stored = get_stamps(db, [j.id for j in journeys])
        landed = {j.id for j in journeys if stored.get(j.id) == (j.version + 1, stamp)}
    for journey in journeys:
        if journey.id in landed:
            journey.version += 1
    return {j.id for j in journeys} - landed


def get_stamps(db: Database, journey_ids: list[str]) -> dict[str, tuple[int, str]]:
    return {d["_id"]: (int(d.get("version") or 0), str(d.get("write_stamp") or ""))
            for d in db[JOURNEYS].find({"_id": {"$in": journey_ids}}, {"version": 1, "write_stamp": 1})}


# Set once the journeys collection is known to hold only journeys whose id is derived from
# their natural key (service_layer.journeys.journey_id_for), so the batch path may find a
# journey by its derived id alone (a ``$in`` on natural_key is a full scan on nx-27017).
_DERIVED_MARK = "journeys:derived_ids_only"
META = "campaign_meta"


# database name -> (answer, monotonic time it may be re-checked); a True answer is final.
_CHECKED: dict[str, tuple[bool, float]] = {}
RECHECK_SECONDS = 600.0


def only_derived_ids(db: Database, derive: Any) -> bool:
    """True when every stored journey has the id ``derive(natural_key)``; checked by one scan of
    ``(_id, natural_key)`` the first time, then remembered in ``campaign_meta`` (and in this
    process; a False answer is re-checked every ``RECHECK_SECONDS``, not per batch)."""
    known = _CHECKED.get(db.name)
    if known is not None and (known[0] or time.monotonic() < known[1]):
        return known[0]
    answer = db[META].find_one({"_id": _DERIVED_MARK}, {"_id": 1}) is not None
    if not answer:
        answer = all(not doc.get("natural_key") or derive(doc["natural_key"]) == doc["_id"]
                     for doc in db[JOURNEYS].find({}, {"natural_key": 1}))
        if answer:
            db[META].update_one({"_id": _DERIVED_MARK}, {"$set": {"checked": True}}, upsert=True)
    _CHECKED[db.name] = (answer, time.monotonic() + RECHECK_SECONDS)
    return answer
