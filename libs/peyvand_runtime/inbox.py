"""The record of event ids a consumer has applied, so a redelivered event is applied once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pymongo
from pymongo.database import Database

from peyvand_runtime.tehran_time import utc_now

APPLIED = "applied_events"
# Redeliveries arrive within minutes; keeping ids for 30 days bounds the collection.
KEEP_FOR = dt.timedelta(days=30)
# Not a TTL index: the embedded store expires TTL documents on every read of the
# collection, which made each inbox lookup ~20× slower at 20k ids (bench/spine.py). Old ids
# are pruned by ``prune`` from the worker instead; real MongoDB is fine either way.
PRUNE_EVERY = dt.timedelta(minutes=10)


class Inbox:
    def __init__(self, database: Database[Any], consumer: str) -> None:
        self.collection = database[APPLIED]
        self.consumer = consumer

    def _key(self, event_id: str) -> str:
        return f"{self.consumer}:{event_id}"

    def ensure_indexes(self) -> None:
        self.collection.create_index("applied_at")

    def prune(self, now: dt.datetime | None = None) -> int:
        """Forget ids applied longer ago than ``KEEP_FOR``; returns how many were removed."""
        cutoff = (now or utc_now()) - KEEP_FOR
        return int(self.collection.delete_many({"applied_at": {"$lt": cutoff}}).deleted_count)

    def seen(self, event_id: str) -> bool:
        return self.collection.find_one({"_id": self._key(event_id)}, {"_id": 1}) is not None

    def seen_many(self, event_ids: Iterable[str]) -> set[str]:
        """The ids among ``event_ids`` already applied: one ``$in`` on ``_id`` (indexed on every engine)."""
        keys = {self._key(event_id): event_id for event_id in event_ids}
        if not keys:
            return set()
        return {keys[doc["_id"]] for doc in self.collection.find({"_id": {"$in": list(keys)}}, {"_id": 1})}

    def record_many(self, event_ids: Iterable[str]) -> None:
        now = utc_now()
        docs = [{"_id": self._key(event_id), "applied_at": now} for event_id in dict.fromkeys(event_ids)]
        if not docs:
            return
        try:
            self.collection.insert_many(docs, ordered=False)
        except pymongo.errors.BulkWriteError as exc:
            # Already recorded by an earlier delivery: that is the point of the record.
            if any(err.get("code") != 11000 for err in exc.details.get("writeErrors", [])):
                raise
