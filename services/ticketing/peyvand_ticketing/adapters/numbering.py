"""Human ticket numbers ``T-<Jalali year>-<seq>`` from a counter per Jalali year (gaps allowed)."""

from __future__ import annotations

import datetime as dt

import pymongo
from peyvand_runtime.tehran_time import jalali_year, tehran_date
from pymongo.database import Database

COUNTERS = "counters"


def next_ticket_number(db: Database, now: dt.datetime) -> str:
    year = jalali_year(tehran_date(now))
    doc = db[COUNTERS].find_one_and_update(
        {"_id": f"ticket:{year}"}, {"$inc": {"seq": 1}}, upsert=True, return_document=pymongo.ReturnDocument.AFTER,
    )
    return f"T-{year}-{int(doc['seq']):06d}"
