"""Templates and segments in the store, and the built-in templates seeded at start-up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand_runtime.domain import NotFound
from peyvand_runtime.ids import is_id, new_id
from pymongo.database import Database

from peyvand_campaign.adapters.collections import SEGMENTS, TEMPLATES
from peyvand_campaign.domain.builtin_templates import BUILT_IN
from peyvand_campaign.domain.templates import Template


def template_fields(t: Template) -> dict[str, Any]:
    return {"name": t.name, "channel": t.channel, "purpose": t.purpose, "bodies": dict(t.bodies), "subjects": dict(t.subjects)}


def template_from_doc(doc: dict[str, Any]) -> Template:
    return Template(id=doc["_id"], name=doc["name"], channel=doc["channel"], purpose=doc["purpose"],
                    bodies=dict(doc.get("bodies") or {}), subjects=dict(doc.get("subjects") or {}), version=int(doc.get("version", 1)))


def seed_builtin_templates(db: Database) -> int:
    """Insert the built-in templates that are missing (by name); edits an operator made are kept."""
    added = 0
    for spec in BUILT_IN:
        template = Template.create(template_id=new_id("tpl"), **spec)
        result = db[TEMPLATES].update_one(
            {"name": template.name},
            {"$setOnInsert": {"_id": template.id, **template_fields(template), "built_in": True, "version": 1}},
            upsert=True,
        )
        added += 1 if result.upserted_id else 0
    return added


def insert_template(db: Database, template: Template) -> None:
    db[TEMPLATES].insert_one({"_id": template.id, **template_fields(template), "built_in": False, "version": 1})


def get_template(db: Database, key: str) -> tuple[Template, bool]:
    """By ``tpl_`` id or by name (journeys name built-ins: ``renewal.30.sms``)."""
    doc = db[TEMPLATES].find_one({"_id": key} if is_id(key, "tpl") else {"name": key})
    if doc is None:
        raise NotFound("template not found", code="TEMPLATE_NOT_FOUND")
    return template_from_doc(doc), bool(doc.get("built_in"))


def list_templates(db: Database, channel: str = "") -> list[tuple[Template, bool]]:
    query = {"channel": channel} if channel else {}
    return [(template_from_doc(d), bool(d.get("built_in"))) for d in db[TEMPLATES].find(query).sort("name", 1)]


def insert_segment(db: Database, name: str, rule: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    doc = {"_id": new_id("seg"), "name": name, "rule": rule, "created_at": now}
    db[SEGMENTS].insert_one(doc)
    return doc


def get_segment(db: Database, segment_id: str) -> dict[str, Any]:
    doc = db[SEGMENTS].find_one({"_id": segment_id})
    if doc is None:
        raise NotFound("segment not found", code="SEGMENT_NOT_FOUND")
    return doc


def list_segments(db: Database, limit: int) -> list[dict[str, Any]]:
    return list(db[SEGMENTS].find({}).sort("created_at", -1).limit(limit))
