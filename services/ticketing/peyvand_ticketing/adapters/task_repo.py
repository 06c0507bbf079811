"""Tasks in the ``tasks`` collection (outbox-bearing); the unique ``dedup_key`` makes a repeated request one task.

Besides the aggregate the document keeps the scope fields ``agent_id`` / ``branch_code`` (the
customer's, from the projection) and ``due``: the instant the task is due (date-only tasks:
24:00 Tehran on the date), indexed for MyDay and ListTasks, and ``changed_ms``: the integer-millisecond time of the last
write, which orders the offline-sync changes feed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pymongo
from peyvand_runtime import outbox
from peyvand_runtime.domain import NotFound
from peyvand_runtime.tehran_time import expiry_instant
from pymongo.collection import Collection
from pymongo.database import Database

from peyvand_ticketing.adapters.instants import stored_instant
from peyvand_ticketing.domain.task import Task

TASKS = "tasks"
PRODUCER = "ticketing"
NOT_FOUND_CODE = "TASK_NOT_FOUND"
CHANGED_MS = "changed_ms"


def _ms(now: dt.datetime) -> int:
    return int(now.timestamp() * 1000)


def due_instant(task: Task) -> dt.datetime:
    return task.due_at if task.due_at is not None else expiry_instant(task.due_date)  # type: ignore[arg-type]


def to_fields(task: Task, agent_id: str | None, branch_code: str | None) -> dict[str, Any]:
    return {
        "kind": task.kind, "customer_id": task.customer_id, "owner_id": task.owner_id, "title": task.title,
        "due_date": None if task.due_date is None else task.due_date.isoformat(), "due_at": task.due_at,
        "due": due_instant(task), "policy_id": task.policy_id, "ticket_id": task.ticket_id, "dedup_key": task.dedup_key,
        "note": task.note, "status": task.status, "created_at": task.created_at, "completed_at": task.completed_at,
        "cancelled_at": task.cancelled_at, "outcome": task.outcome, "agent_id": agent_id, "branch_code": branch_code,
    }


def from_doc(doc: dict[str, Any]) -> Task:
    utc = stored_instant

    return Task(
        id=doc["_id"], version=doc["version"], kind=doc["kind"], customer_id=doc["customer_id"], owner_id=doc.get("owner_id"),
        title=doc["title"], due_date=dt.date.fromisoformat(doc["due_date"]) if doc.get("due_date") else None,
        due_at=utc(doc.get("due_at")), policy_id=doc.get("policy_id"), ticket_id=doc.get("ticket_id"),
        dedup_key=doc["dedup_key"], note=doc.get("note", ""), status=doc["status"], created_at=utc(doc.get("created_at")),
        completed_at=utc(doc.get("completed_at")), cancelled_at=utc(doc.get("cancelled_at")), outcome=doc.get("outcome", ""),
    )


class TaskRepository:
    def __init__(self, db: Database) -> None:
        self.collection: Collection = db[TASKS]

    def get_doc(self, task_id: str) -> dict[str, Any] | None:
        return self.collection.find_one({"_id": task_id}, {"outbox": 0})

    def by_dedup_key(self, key: str) -> dict[str, Any] | None:
        return self.collection.find_one({"dedup_key": key}, {"outbox": 0})

    def insert(self, task: Task, now: dt.datetime, agent_id: str | None, branch_code: str | None) -> tuple[dict[str, Any], bool]:
        """Store a new task; if its dedup key exists already, the existing one (and False)."""
        events = task.pull_events()
        try:
            fields = {**to_fields(task, agent_id, branch_code), CHANGED_MS: _ms(now)}
            outbox.insert_new(self.collection, task.id, fields, events, PRODUCER, now)
        except pymongo.errors.DuplicateKeyError:
            existing = self.by_dedup_key(task.dedup_key)
            if existing is None:  # an _id clash cannot happen with fresh ULIDs; surface it
                raise
            return existing, False
        task.version = 1
        return self.get_doc(task.id) or {}, True

    def save(self, task: Task, now: dt.datetime, scope: dict[str, Any]) -> int:
        fields = {**to_fields(task, scope.get("agent_id"), scope.get("branch_code")), CHANGED_MS: _ms(now)}
        try:
            version = outbox.update_versioned(self.collection, task.id, task.version, fields, task.pull_events(), PRODUCER, now)
        except NotFound:
            raise NotFound("task not found", code=NOT_FOUND_CODE) from None
        task.version = version
        return version

    def find_page(self, query: dict[str, Any], after: str | None, limit: int) -> list[dict[str, Any]]:
        """In creation order (ULID ids); keyset cursor on ``_id`` (sorting on ``due`` is unreliable on nx-27017)."""
        if after:
            query = {**query, "_id": {"$gt": after}}
        return list(self.collection.find(query, {"outbox": 0}).sort("_id", 1).limit(limit))
