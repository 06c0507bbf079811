"""Policy numbers: unique and increasing per branch and Jalali year, from counters in ``policy_counters``."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pymongo
from pymongo.database import Database

from peyvand_policy.adapters.documents import COUNTERS
from peyvand_policy.domain.numbering import format_policy_number, sequence_key


def next_policy_number(database: Database, branch_code: str, issue_date: dt.date) -> str:
    """The next number of the branch and Jalali year: one atomic ``$inc`` on an upserted counter.

    Numbers are unique and increasing per branch and year; a number taken by a request that
    then failed is not reused (gaps are allowed).
    """
    key = sequence_key(branch_code, issue_date)
    doc = database[COUNTERS].find_one_and_update(
        {"_id": key}, {"$inc": {"seq": 1}}, upsert=True, return_document=pymongo.ReturnDocument.AFTER
    )
    return format_policy_number(branch_code, issue_date, int(doc["seq"]))


class PolicyNumbers:
    """New-business numbers handed out from blocks reserved per branch and Jalali year.

    One ``$inc`` of ``block`` on the same counter ``next_policy_number`` uses reserves the
    block; numbers come from memory after that (thread-safe). Numbers stay unique and, within
    this process, increasing in issue order. The rest of a block is never reused when the
    process stops (a gap), and with several server processes each draws from its own block,
    so numbers of different processes interleave out of issue order.
    """

    def __init__(self, database: Database[Any], block: int = 20) -> None:
        self.counters = database[COUNTERS]
        self.block = block
        self._lock = threading.Lock()
        self._ranges: dict[str, tuple[int, int]] = {}  # counter key -> (next, end exclusive)

    def next(self, branch_code: str, issue_date: dt.date) -> str:
        key = sequence_key(branch_code, issue_date)
        with self._lock:
            nxt, end = self._ranges.get(key, (0, 0))
            if nxt >= end:
                doc = self.counters.find_one_and_update(
                    {"_id": key}, {"$inc": {"seq": self.block}}, upsert=True, return_document=pymongo.ReturnDocument.AFTER) or {}
                end = int(doc["seq"]) + 1
                nxt = end - self.block
            self._ranges[key] = (nxt + 1, end)
        return format_policy_number(branch_code, issue_date, nxt)


