"""Queues (``queues``): members with availability, skills and capacity, routing categories, and the
round-robin position saved with a compare-and-set on the queue's ``version``."""

from __future__ import annotations

from typing import Any

from peyvand_runtime.domain import NotFound, VersionConflict
from pymongo.database import Database

from peyvand_ticketing.domain.assignment import ANY_CATEGORY, Queue, QueueMember, RoundRobinState

QUEUES = "queues"
NOT_FOUND_CODE = "QUEUE_NOT_FOUND"


def member_doc(member: QueueMember) -> dict[str, Any]:
    return {"user_id": member.user_id, "available": member.available, "skills": sorted(member.skills), "max_load": member.max_load}


def to_queue(doc: dict[str, Any], loads: dict[str, int] | None = None) -> Queue:
    loads = loads or {}
    members = tuple(
        QueueMember(m["user_id"], m.get("available", True), frozenset(m.get("skills") or [ANY_CATEGORY]),
                    loads.get(m["user_id"], 0), m.get("max_load"))
        for m in doc.get("members", [])
    )
    return Queue(doc["_id"], doc["name"], doc["branch_code"], doc["team"], members, doc.get("strategy", "round_robin"), doc.get("lead_user_id"))


class QueueRepository:
    def __init__(self, db: Database) -> None:
        self.collection = db[QUEUES]

    def insert(self, doc: dict[str, Any]) -> dict[str, Any]:
        doc = {**doc, "version": 1, "rr_last_index": -1}
        self.collection.insert_one(doc)
        return doc

    def get(self, queue_id: str) -> dict[str, Any] | None:
        return self.collection.find_one({"_id": queue_id})

    def require(self, queue_id: str) -> dict[str, Any]:
        doc = self.get(queue_id)
        if doc is None:
            raise NotFound("queue not found", code=NOT_FOUND_CODE)
        return doc

    def for_branch(self, branch_code: str | None) -> list[dict[str, Any]]:
        query = {} if branch_code is None else {"branch_code": branch_code}
        return list(self.collection.find(query).sort("_id", 1))

    def route(self, branch_code: str | None, category: str) -> dict[str, Any] | None:
        """The branch's queue for a category: one listing the category, else one listing ``*``."""
        if not branch_code:
            return None
        fallback = None
        for doc in self.for_branch(branch_code):
            categories = doc.get("categories") or []
            if category in categories:
                return doc
            if fallback is None and (ANY_CATEGORY in categories or not categories):
                fallback = doc
        return fallback

    def save_members(self, doc: dict[str, Any], members: list[dict[str, Any]]) -> dict[str, Any]:
        """Whole-list ``$set`` (positional updates are unreliable on the embedded store) with CAS."""
        result = self.collection.update_one({"_id": doc["_id"], "version": doc["version"]},
                                            {"$set": {"members": members, "version": doc["version"] + 1}})
        if result.matched_count != 1:
            raise VersionConflict("the queue was changed by someone else; reload and try again")
        return {**doc, "members": members, "version": doc["version"] + 1}

    def advance_round_robin(self, doc: dict[str, Any], state: RoundRobinState) -> bool:
        """CAS on the version read with the queue; False = someone else assigned meanwhile (retry)."""
        result = self.collection.update_one({"_id": doc["_id"], "version": doc["version"]},
                                            {"$set": {"rr_last_index": state.last_index, "version": doc["version"] + 1}})
        return result.matched_count == 1
