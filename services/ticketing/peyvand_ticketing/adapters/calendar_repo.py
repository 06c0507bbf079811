"""The holiday table (``holidays``), seeded idempotently from ``seed_iran_holidays``, and the calendar built from it.

The table is the truth once seeded; admins correct it (SetHoliday/RemoveHoliday). A
``meta`` document's ``revision`` changes on every edit so each process rebuilds its
calendar within ``ttl`` seconds (and at once in the process that made the edit).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from peyvand_runtime.tehran_time import to_jalali
from pymongo.database import Database

from peyvand_ticketing.domain.business_calendar import BusinessCalendar, seed_iran_holidays

HOLIDAYS = "holidays"
META = "ticketing_meta"
REVISION_ID = "holidays_revision"


def seed(db: Database, years: list[int]) -> int:
    """Insert seed holidays for ``years`` not yet seeded; never overrides the admin's table. Returns rows added."""
    added = 0
    for year in years:
        marker = f"holidays_seeded:{year}"
        if db[META].find_one({"_id": marker}):
            continue
        for day, name in seed_iran_holidays([year]):
            result = db[HOLIDAYS].update_one({"_id": day.isoformat()}, {"$setOnInsert": {"name": name, "source": "seed", "active": True}}, upsert=True)
            added += 1 if result.upserted_id else 0
        db[META].update_one({"_id": marker}, {"$set": {"at": dt.datetime.now(dt.UTC)}}, upsert=True)
    if added:
        bump_revision(db)
    return added


def bump_revision(db: Database) -> None:
    db[META].update_one({"_id": REVISION_ID}, {"$inc": {"revision": 1}}, upsert=True)


def revision(db: Database) -> int:
    doc = db[META].find_one({"_id": REVISION_ID})
    return int(doc["revision"]) if doc else 0


def set_holiday(db: Database, day: dt.date, name: str) -> dict[str, Any]:
    """Add or rename a day off. A removed seed day stays removed on re-seed (``active`` false)."""
    db[HOLIDAYS].update_one({"_id": day.isoformat()}, {"$set": {"name": name, "source": "admin", "active": True}}, upsert=True)
    bump_revision(db)
    return {"_id": day.isoformat(), "name": name, "source": "admin"}


def remove_holiday(db: Database, day: dt.date) -> bool:
    result = db[HOLIDAYS].update_one({"_id": day.isoformat(), "active": True}, {"$set": {"active": False, "source": "admin"}})
    bump_revision(db)
    return result.modified_count == 1


def list_holidays(db: Database, year: int = 0) -> list[dict[str, Any]]:
    query: dict[str, Any] = {"active": True}
    if year:
        query["_id"] = {"$gte": f"{year:04d}-01-01", "$lte": f"{year:04d}-12-31"}
    return [dict(doc, date_jalali=to_jalali(dt.date.fromisoformat(doc["_id"]))) for doc in db[HOLIDAYS].find(query).sort("_id", 1)]


def load_calendar(db: Database) -> BusinessCalendar:
    days = [dt.date.fromisoformat(doc["_id"]) for doc in db[HOLIDAYS].find({"active": True}, {"_id": 1})]
    return BusinessCalendar(days)


class CalendarProvider:
    """The current calendar, rebuilt when the holiday revision changes (checked at most every ``ttl`` s)."""

    def __init__(self, db: Database, ttl: float = 30.0) -> None:
        self.db, self.ttl = db, ttl
        self._lock = threading.Lock()
        self._calendar: BusinessCalendar | None = None
        self._revision = -1
        self._checked = 0.0

    def get(self) -> BusinessCalendar:
        now = time.monotonic()
        with self._lock:
            if self._calendar is None or now - self._checked > self.ttl:
                current = revision(self.db)
                if self._calendar is None or current != self._revision:
                    self._calendar, self._revision = load_calendar(self.db), current
                self._checked = now
            return self._calendar

    def invalidate(self) -> None:
        with self._lock:
            self._calendar = None
