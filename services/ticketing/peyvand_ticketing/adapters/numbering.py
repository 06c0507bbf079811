"""Human ticket numbers ``T-<Jalali year>-<seq>`` from a counter per Jalali year (gaps allowed).

Each process reserves numbers in blocks (one ``$inc`` of ``BLOCK`` per block) and hands them
out from memory, so opening a ticket costs a counter write only once per ``BLOCK`` tickets.
Numbers stay unique; a process that stops leaves the rest of its block unused (a gap), and
tickets opened by different processes are not numbered in opening order.
"""

from __future__ import annotations

import datetime as dt
import threading

import pymongo
from peyvand_runtime.tehran_time import jalali_year, tehran_date
from pymongo.database import Database

COUNTERS = "counters"
BLOCK = 50


class TicketNumbers:
    """One per process and database (it lives on the service ``Context``); thread-safe."""

    def __init__(self, db: Database, block: int = BLOCK) -> None:
        self.db = db
        self.block = block
        self._lock = threading.Lock()
        self._ranges: dict[int, tuple[int, int]] = {}  # Jalali year -> (next, end exclusive)

    def next(self, now: dt.datetime) -> str:
        year = jalali_year(tehran_date(now))
        with self._lock:
            nxt, end = self._ranges.get(year, (0, 0))
            if nxt >= end:
                doc = self.db[COUNTERS].find_one_and_update(
                    {"_id": f"ticket:{year}"}, {"$inc": {"seq": self.block}}, upsert=True,
                    return_document=pymongo.ReturnDocument.AFTER,
                )
                end = int(doc["seq"]) + 1
                nxt = end - self.block
            self._ranges[year] = (nxt + 1, end)
        return f"T-{year}-{nxt:06d}"


def next_ticket_number(db: Database, now: dt.datetime) -> str:
    """One number, one counter write (tools; the services use ``TicketNumbers``)."""
    return TicketNumbers(db, block=1).next(now)
