"""Queues (``queues``): members with availability, skills and capacity, routing categories, and the
round-robin position saved with a compare-and-set on the queue's ``version``.

Routing reads a per-process cache of each branch's queues (``CACHE_SECONDS``) that this
process's own writes keep current; a change made by another process is seen within the TTL
for routing, and at once by the assignment, whose compare-and-set on ``version`` fails on a
stale copy and reloads it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from peyvand_runtime.domain import NotFound, VersionConflict
from pymongo.database import Database

from peyvand_ticketing.domain.assignment import ANY_CATEGORY, Queue, QueueMember, RoundRobinState

QUEUES = "queues"
NOT_FOUND_CODE = "QUEUE_NOT_FOUND"
CACHE_SECONDS = 5.0


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
    def __init__(self, db: Database, cache_seconds: float = CACHE_SECONDS) -> None:
        self.collection = db[QUEUES]
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._by_branch: dict[str, tuple[float, list[str]]] = {}  # branch -> (expires, queue ids in _id order)
        self._latest: dict[str, dict[str, Any]] = {}  # queue id -> newest document this process saw
        self._assign_locks: dict[str, threading.Lock] = {}

    # -- the per-process cache ----------------------------------------------------------------
    def _seen(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Remember ``doc`` unless a newer version is known; returns the newest known."""
        with self._lock:
            known = self._latest.get(doc["_id"])
            if known is not None and known.get("version", 0) > doc.get("version", 0):
                return known
            self._latest[doc["_id"]] = doc
            return doc

    def latest(self, doc: dict[str, Any]) -> dict[str, Any]:
        return self._seen(doc)

    def invalidate(self) -> None:
        with self._lock:
            self._by_branch.clear()
            self._latest.clear()

    def assignment_lock(self, queue_id: str) -> threading.Lock:
        """Serialises this process's round-robin turns on a queue (CAS conflicts then come only from other processes)."""
        with self._lock:
            return self._assign_locks.setdefault(queue_id, threading.Lock())

    def cached_for_branch(self, branch_code: str) -> list[dict[str, Any]]:
        now = time.monotonic()
        with self._lock:
            hit = self._by_branch.get(branch_code)
            if hit is not None and hit[0] > now and all(i in self._latest for i in hit[1]):
                return [self._latest[i] for i in hit[1]]
        docs = [self._seen(doc) for doc in self.for_branch(branch_code)]
        with self._lock:
            self._by_branch[branch_code] = (now + self.cache_seconds, [d["_id"] for d in docs])
        return docs

    # -- the store ----------------------------------------------------------------------------
    def insert(self, doc: dict[str, Any]) -> dict[str, Any]:
        doc = {**doc, "version": 1, "rr_last_index": -1}
        self.collection.insert_one(doc)
        self.invalidate()
        return doc

    def get(self, queue_id: str) -> dict[str, Any] | None:
        doc = self.collection.find_one({"_id": queue_id})
        return None if doc is None else self._seen(doc)

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
        for doc in self.cached_for_branch(branch_code):
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
        self.invalidate()
        return {**doc, "members": members, "version": doc["version"] + 1}

    def advance_round_robin(self, doc: dict[str, Any], state: RoundRobinState) -> bool:
        """CAS on the version read with the queue; False = someone else assigned meanwhile (retry)."""
        result = self.collection.update_one({"_id": doc["_id"], "version": doc["version"]},
                                            {"$set": {"rr_last_index": state.last_index, "version": doc["version"] + 1}})
        if result.matched_count == 1:
            self._seen({**doc, "rr_last_index": state.last_index, "version": doc["version"] + 1})
            return True
        return False
