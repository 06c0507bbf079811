"""Campaigns in the store (versioned saves with the outbox) plus the broadcast expansion cursor."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand_runtime import outbox
from peyvand_runtime.domain import NotFound
from pymongo.database import Database

from peyvand_campaign.adapters.collections import CAMPAIGNS, instant
from peyvand_campaign.domain.campaign import Campaign

_FIELDS = ("name", "kind", "purpose", "channel", "template_ids", "segment_rule", "segment_id", "journey_kind",
           "schedule_at", "status", "created_at", "status_changed_at", "stopped_reason")


def to_fields(c: Campaign) -> dict[str, Any]:
    return {name: getattr(c, name) for name in _FIELDS}


def from_doc(doc: dict[str, Any]) -> Campaign:
    values = {name: doc.get(name) for name in _FIELDS}
    for name in ("schedule_at", "created_at", "status_changed_at"):
        values[name] = instant(values[name]) if values[name] else None
    values = {k: v for k, v in values.items() if v is not None}
    return Campaign(id=doc["_id"], version=int(doc["version"]), **values)


def get(db: Database, campaign_id: str) -> tuple[Campaign, dict[str, Any]]:
    doc = db[CAMPAIGNS].find_one({"_id": campaign_id}, {"outbox": 0})
    if doc is None:
        raise NotFound("campaign not found", code="CAMPAIGN_NOT_FOUND")
    return from_doc(doc), doc


def save(db: Database, campaign: Campaign, now: dt.datetime, extra: dict[str, Any] | None = None) -> None:
    fields = {**to_fields(campaign), **(extra or {})}
    campaign.version = outbox.save(db[CAMPAIGNS], campaign.id, campaign.version, fields, campaign.pull_events(), "campaign", now)


def list_page(db: Database, status: str, before_id: str, limit: int) -> list[Campaign]:
    """Newest first by id (ULIDs sort by creation time), keyset paging below ``before_id``.

    The campaigns collection stays small (hundreds to thousands), so the embedded store's
    habit of dropping the ``status`` index when ``_id`` is also ranged and sorted is cheap here.
    """
    query: dict[str, Any] = {"status": status} if status else {}
    if before_id:
        query["_id"] = {"$lt": before_id}
    return [from_doc(doc) for doc in db[CAMPAIGNS].find(query, {"outbox": 0}).sort("_id", -1).limit(limit)]
