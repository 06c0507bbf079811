"""Leases in the service's database so a singleton (relay, timer job) runs on one replica at a time.

Instants are kept as integer milliseconds: the embedded store writes a datetime set by an
update as text, and text-vs-datetime comparisons are not reliable there (ADR 1).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable
from typing import Any

import pymongo
from pymongo.database import Database

from peyvand_runtime.tehran_time import as_utc, utc_now

LEASES = "leases"
JOB_RUNS = "job_runs"


def holder_name(process: str) -> str:
    return f"{process}@{socket.gethostname()}:{os.getpid()}"


class Lease:
    """A named lease: ``acquire`` succeeds for the holder or when the previous holder's lease ran out."""

    def __init__(self, database: Database[Any], name: str, holder: str, ttl_seconds: float, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.collection = database[LEASES]
        self.name = name
        self.holder = holder
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self.clock = clock

    def acquire(self) -> bool:
        """Take or renew the lease; False when another live holder has it."""
        now = self.clock()
        now_ms = _ms(now)
        try:
            doc = self.collection.find_one_and_update(
                {"_id": self.name, "$or": [{"expires_at_ms": {"$lt": now_ms}}, {"holder": self.holder}]},
                {"$set": {"holder": self.holder, "expires_at_ms": _ms(now + self.ttl), "renewed_at_ms": now_ms}},
                upsert=True,
                return_document=pymongo.ReturnDocument.AFTER,
            )
        except pymongo.errors.DuplicateKeyError:
            return False
        return doc is not None and doc.get("holder") == self.holder

    def release(self) -> None:
        self.collection.update_one({"_id": self.name, "holder": self.holder}, {"$set": {"expires_at_ms": _ms(self.clock()) - 1000}})


def tick_done(database: Database[Any], job: str, tick: str) -> bool:
    """Whether ``job`` already completed ``tick`` (e.g. the date ``2026-11-22``)."""
    doc = database[JOB_RUNS].find_one({"_id": job}, {"done_ticks": 1})
    return bool(doc and tick in doc.get("done_ticks", []))


def mark_tick_done(database: Database[Any], job: str, tick: str, summary: dict[str, object]) -> None:
    """Record a finished tick; keeps the last 60 ticks so the document stays small."""
    doc = database[JOB_RUNS].find_one({"_id": job}, {"done_ticks": 1}) or {}
    ticks = [t for t in doc.get("done_ticks", []) if t != tick][-59:] + [tick]
    database[JOB_RUNS].update_one(
        {"_id": job},
        {"$set": {"done_ticks": ticks, "last_tick": tick, "last_success_ms": _ms(utc_now()), "last_summary": summary}},
        upsert=True,
    )


def last_success(database: Database[Any], job: str) -> dt.datetime | None:
    doc = database[JOB_RUNS].find_one({"_id": job}, {"last_success_ms": 1})
    if not doc or not doc.get("last_success_ms"):
        return None
    return dt.datetime.fromtimestamp(int(doc["last_success_ms"]) / 1000, dt.UTC)


def _ms(instant: dt.datetime) -> int:
    return int(as_utc(instant).timestamp() * 1000)
