"""Journeys in the store: whole-document saves with a version check and the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand_runtime import outbox
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
