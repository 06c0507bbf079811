"""Deliveries in the store: insert-once by dedup key, claims for senders, versioned saves."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import pymongo
from peyvand_runtime import outbox
from pymongo import UpdateOne
from pymongo.database import Database

from peyvand_campaign.adapters.collections import DELIVERIES, instant
from peyvand_campaign.domain.delivery import QUEUED, Delivery

# Claims and due times are queried as integer epoch milliseconds (``due_ms``,
# ``claimed_until_ms``): nx-27017 0.8.1 stores a datetime written by ``$set`` as text and then
# compares it wrongly with a datetime of the same day (and mis-evaluates ``$in`` beside ``$or``
# on updated documents). Integers compare correctly on every engine.
NEVER_MS = 2**62
# A claim looks at this many times ``limit`` of the most overdue unclaimed deliveries (see claim_batch).
# 1: the sender threads of one process take turns to claim (``SendContext.claim_lock``), and the
# window skips deliveries held by anyone, so only a claim racing another process's finds fewer.
CLAIM_WINDOW = 1


def epoch_ms(instant_: dt.datetime) -> int:
    return int(instant_.timestamp() * 1000)

_TIMES = ("next_attempt_at", "created_at", "sent_at", "delivered_at", "failed_at")
_PLAIN = ("dedup_key", "customer_id", "channel", "purpose", "template_id", "campaign_id", "journey_id", "policy_id",
          "status", "attempts", "last_error", "failure_reason", "provider_message_id")


def to_fields(d: Delivery, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every save also releases a sender's claim (``claimed_until_ms`` 0)."""
    fields: dict[str, Any] = {name: getattr(d, name) for name in _PLAIN + _TIMES}
    fields["due_ms"] = epoch_ms(d.next_attempt_at) if d.status == QUEUED and d.next_attempt_at else NEVER_MS
    fields["claimed_until_ms"] = 0
    fields.update(extra or {})
    return fields


def from_doc(doc: dict[str, Any]) -> Delivery:
    delivery = Delivery(id=doc["_id"], version=int(doc["version"]))
    for name in _PLAIN:
        setattr(delivery, name, doc.get(name) or (0 if name == "attempts" else ""))
    for name in _TIMES:
        setattr(delivery, name, instant(doc[name]) if doc.get(name) else None)
    return delivery


def insert_once(db: Database, delivery: Delivery, now: dt.datetime, extra: dict[str, Any] | None = None) -> bool:
    """Insert unless a delivery with the same dedup key exists (redelivery, crash, replay): False then."""
    try:
        outbox.insert_new(db[DELIVERIES], delivery.id, to_fields(delivery, extra), delivery.pull_events(), "campaign", now)
        return True
    except pymongo.errors.DuplicateKeyError:
        return False


def insert_many_once(db: Database, items: list[tuple[Delivery, dict[str, Any] | None]], now: dt.datetime) -> set[int]:
    """``insert_once`` for many deliveries in one unordered ``insert_many``; returns the positions
    rejected by the unique dedup key (stored before, or twice in ``items``): nothing was inserted
    for those. Any other write error propagates (the caller retries the whole batch: every
    delivery inserted meanwhile is then a duplicate, so nothing is queued twice)."""
    if not items:
        return set()
    docs = []
    for delivery, extra in items:
        pending = outbox.envelopes(delivery.pull_events(), "campaign", now, 1)
        docs.append({**to_fields(delivery, extra), "_id": delivery.id, "version": 1, outbox.OUTBOX: pending,
                     outbox.PENDING: 1 if pending else 0})
    try:
        db[DELIVERIES].insert_many(docs, ordered=False)
    except pymongo.errors.BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(err.get("code") != 11000 for err in errors):
            raise
        return {int(err["index"]) for err in errors}
    return set()


def save(db: Database, delivery: Delivery, now: dt.datetime, extra: dict[str, Any] | None = None,
         unset: tuple[str, ...] = ()) -> None:
    delivery.version = outbox.update_versioned(db[DELIVERIES], delivery.id, delivery.version, to_fields(delivery, extra),
                                               delivery.pull_events(), "campaign", now, unset=unset)


def claim_batch(db: Database, now: dt.datetime, token: str, claim_for: dt.timedelta, limit: int) -> list[dict[str, Any]]:
    """Claim up to ``limit`` due deliveries in two store calls (three when a claim was raced).

    (1) find the most overdue candidates (unclaimed, or claimed by a sender whose time ran
    out); (2) one conditional ``update_many`` — it matches a delivery only while it is still
    unclaimed and at the version read in (1), so of two senders racing for a delivery exactly
    one matches it. When every claim matched, the documents read in (1) are the claimed ones
    (only the claim fields changed, and those are set here): no re-read. Otherwise (3) re-read
    the candidates carrying this batch's own ``token``: those were won. ``token`` must be unique
    per batch (holder + counter)."""
    now_ms = epoch_ms(now)
    # The candidates come from the ``due_ms`` range and the claim check, status checked here: only
    # a queued delivery has a due_ms below NEVER_MS, and with ``status`` in the filter nx-27017
    # plans the query on the status index and reads every queued delivery (~2 s per claim at
    # 80k queued, measured) instead of the first rows of the due_ms index. ``claimed_until_ms``
    # (not indexed) is filtered by the store while it walks the due_ms index, so deliveries other
    # senders hold right now are not returned at all (explain: SEARCH USING INDEX due_ms).
    # No projection here or in the re-read: nx-27017 applies one by deep-copying each document in
    # Python (~40 % of its time on reads, profiled), dearer than returning the whole document.
    window = db[DELIVERIES].find({"due_ms": {"$lte": now_ms}, "claimed_until_ms": {"$lt": now_ms}})
    candidates = [d for d in window.sort("due_ms", pymongo.ASCENDING).limit(max(1, int(limit * CLAIM_WINDOW)))
                  if d.get("status") == QUEUED and int(d.get("claimed_until_ms") or 0) < now_ms][:limit]
    if not candidates:
        return []
    until = epoch_ms(now + claim_for)
    # One ``update_many`` per version read (one in practice: queued deliveries are at version 1
    # unless something re-saved them). The version makes the claim land only on the document as
    # read; ``status`` is left out of the filter (with it nx-27017 may plan on the status index):
    # the window read checked it, and every status change is a versioned save (``to_fields``,
    # which also moves ``due_ms`` to NEVER_MS for anything not queued).
    by_version: dict[int, list[str]] = {}
    for doc in candidates:
        by_version.setdefault(int(doc["version"]), []).append(doc["_id"])
    matched = 0
    for version, ids in by_version.items():
        matched += db[DELIVERIES].update_many(
            {"_id": {"$in": ids}, "version": version, "due_ms": {"$lte": now_ms}, "claimed_until_ms": {"$lt": now_ms}},
            {"$set": {"claimed_by": token, "claimed_until_ms": until}}).matched_count
    if matched == len(candidates):
        for doc in candidates:
            doc["claimed_by"], doc["claimed_until_ms"] = token, until
        return candidates  # already in due_ms order
    won = db[DELIVERIES].find({"_id": {"$in": [d["_id"] for d in candidates]}})
    return sorted((d for d in won if d.get("claimed_by") == token and int(d.get("claimed_until_ms") or 0) == until
                   and d.get("status") == QUEUED), key=lambda d: int(d.get("due_ms") or 0))


def _unchanged(stored: Any, value: Any) -> bool:
    if isinstance(value, dt.datetime) and stored is not None:
        try:
            return bool(instant(stored) == value)
        except (TypeError, ValueError):
            return False
    return bool(stored == value) and type(stored) is type(value)


def save_many(db: Database, changes: list[tuple[Delivery, dict[str, Any]]], now: dt.datetime,
              before: Mapping[str, Mapping[str, Any]] | None = None) -> list[Delivery]:
    """Versioned saves of many deliveries in one ``bulk_write`` (each a compare-and-set on its
    version, events in the same write as for ``save``). Returns the deliveries whose version
    had moved on (nothing written for them); the rest have their new version.

    ``before``: the documents as read for these versions (delivery id -> document); a field whose
    stored value is already the one to write is then left out of the ``$set`` (on nx-27017 an
    update's cost grows with what it writes: a sent mark of ~25 fields + the outbox push costs
    ~1.7× one of the ~8 that change). The version compare-and-set makes that safe: the write
    lands only on the very version the document was read at."""
    if not changes:
        return []
    stamp = uuid.uuid4().hex
    ops, staged = [], []
    for delivery, extra in changes:
        new_version = delivery.version + 1
        pending = outbox.envelopes(delivery.pull_events(), "campaign", now, new_version)
        fields = to_fields(delivery, extra)
        stored = (before or {}).get(delivery.id)
        if stored is not None and int(stored.get("version") or 0) == delivery.version:
            fields = {k: v for k, v in fields.items() if k not in stored or not _unchanged(stored[k], v)}
        update: dict[str, Any] = {"$set": {**fields, "version": new_version, "write_stamp": stamp}}
        if pending:
            update["$set"][outbox.PENDING] = 1
            update["$push"] = {outbox.OUTBOX: {"$each": pending}}
        ops.append(UpdateOne({"_id": delivery.id, "version": delivery.version}, update))
        staged.append((delivery, new_version))
    result = db[DELIVERIES].bulk_write(ops, ordered=False)
    if result.matched_count == len(ops):
        for delivery, new_version in staged:
            delivery.version = new_version
        return []
    # Some did not match: the matched count is per batch, so look up which writes landed.
    stored = {d["_id"]: d for d in db[DELIVERIES].find({"_id": {"$in": [d.id for d, _ in staged]}}, {"version": 1, "write_stamp": 1})}
    conflicts = []
    for delivery, new_version in staged:
        doc = stored.get(delivery.id) or {}
        if int(doc.get("version") or 0) == new_version and doc.get("write_stamp") == stamp:
            delivery.version = new_version
        else:
            conflicts.append(delivery)
    return conflicts


def reports_due(db: Database, now: dt.datetime, limit: int) -> list[dict[str, Any]]:
    """Sent SMS whose delivery report is due to be asked for, the longest due first. Only a sent
    message awaiting its report carries ``report_due_ms`` (a sparse index: a range on it reads
    just those)."""
    return list(db[DELIVERIES].find({"report_due_ms": {"$lte": epoch_ms(now)}}).sort("report_due_ms", pymongo.ASCENDING).limit(limit))


def start_report_checks(db: Database, now: dt.datetime, sent_since: dt.datetime) -> int:
    """Give every SMS sent since ``sent_since`` that awaits its report and has no report check
    (sent before checks were kept per message) one due now; returns how many. Run once."""
    ids = [d["_id"] for d in db[DELIVERIES].find({"status": "sent"}, {"channel": 1, "provider_message_id": 1, "report_due_ms": 1, "sent_at": 1})
           if d.get("channel") == "sms" and d.get("provider_message_id") and d.get("report_due_ms") is None
           and d.get("sent_at") and instant(d["sent_at"]) >= sent_since]
    for start in range(0, len(ids), 500):
        db[DELIVERIES].update_many({"_id": {"$in": ids[start:start + 500]}}, {"$set": {"report_due_ms": epoch_ms(now)}})
    return len(ids)


def reschedule_reports(db: Database, now: dt.datetime, next_checks: Mapping[int | None, list[str]]) -> None:
    """Move each group of deliveries (``report_due_ms`` -> ids) to its next report check; the
    ``None`` group is no longer asked about (the field goes). A delivery whose report was
    applied meanwhile (field gone) is left alone."""
    for due_ms, ids in next_checks.items():
        update = {"$unset": {"report_due_ms": ""}} if due_ms is None else {"$set": {"report_due_ms": due_ms}}
        db[DELIVERIES].update_many({"_id": {"$in": ids}, "report_due_ms": {"$lte": epoch_ms(now)}}, update)


def postpone(db: Database, delivery_id: str, holder: str, until: dt.datetime, why: str) -> None:
    db[DELIVERIES].update_one({"_id": delivery_id, "claimed_by": holder},
                              {"$set": {"next_attempt_at": until, "due_ms": epoch_ms(until), "claimed_until_ms": 0, "waiting_for": why}})


def for_customer(db: Database, customer_id: str, limit: int) -> list[dict[str, Any]]:
    return list(db[DELIVERIES].find({"customer_id": customer_id}, {"outbox": 0}).sort("created_at", pymongo.DESCENDING).limit(limit))


def for_journey(db: Database, journey_id: str) -> list[dict[str, Any]]:
    return list(db[DELIVERIES].find({"journey_id": journey_id}, {"outbox": 0}))


def for_campaign(db: Database, campaign_id: str) -> list[dict[str, Any]]:
    return list(db[DELIVERIES].find({"campaign_id": campaign_id}, {"status": 1, "customer_id": 1, "sent_at": 1}))


def marketing_instants(db: Database, customer_id: str) -> list[dt.datetime]:
    """When this customer's marketing messages went or are planned to go (frequency cap input)."""
    instants = []
    for doc in db[DELIVERIES].find({"customer_id": customer_id}, {"purpose": 1, "status": 1, "sent_at": 1, "next_attempt_at": 1}):
        if doc.get("purpose") != "marketing":
            continue
        when = doc.get("sent_at") if doc.get("status") in ("sent", "delivered") else (doc.get("next_attempt_at") if doc.get("status") == QUEUED else None)
        if when:
            instants.append(instant(when))
    return instants
