"""Moving a stored book to the current lookup-slot layout (``cli migrate-lookup-keys``, ADR 14).

Run it once after every customer process runs code that writes layout 2 (such code reads both
layouts until the marker says 2: names from all eight slots, mobiles and emails from 1-7).

- Pages over the parties in ``_id`` order by skip and limit (the embedded store walks its
  primary key for that; a ``_id > last`` range is a full scan per page there), each page
  starting ``OVERLAP`` rows before where the last one ended, so rows inserted meanwhile
  before the position cannot push a party past the pass.
- Recomputes ``k0``-``k7`` from the stored name parts and contact points and writes only
  parties whose slots differ, each guarded by its ``version``: a party another process saved
  meanwhile was saved in layout 2 by it and is left alone. No event, no version change: the
  slots are derived data, not a change to the customer.
- Sets the book's layout marker to 2 at the end. Running it again changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, UpdateOne

from peyvand_customer.adapters.mapping import from_document
from peyvand_customer.adapters.schema import set_lookup_layout
from peyvand_customer.domain.lookup import LAYOUT, SLOTS, slot_fields
from peyvand_customer.service_layer.context import Context

OVERLAP = 50
_FIELDS = {name: 1 for name in ("version", "kind", "first_name", "last_name", "org_name", "contact_points", *(f"k{i}" for i in range(SLOTS)))}


@dataclass
class MigrationStats:
    read: int = 0
    rewritten: int = 0
    skipped_changed: int = 0  # saved by another process between our read and our write
    seconds: float = 0.0


def _slots_of(doc: dict[str, Any]) -> dict[str, str | None]:
    return slot_fields(from_document({"_id": doc["_id"], **doc}))


def migrate_lookup_keys(ctx: Context, page: int = 2000, progress: Callable[[MigrationStats], None] | None = None) -> MigrationStats:
    stats = MigrationStats()
    began = time.monotonic()
    col = ctx.parties.col
    position = 0
    previous: set[str] = set()
    while True:
        skip = max(position - OVERLAP, 0)
        limit = page + (position - skip)
        docs = list(col.find({}, _FIELDS).sort("_id", ASCENDING).skip(skip).limit(limit))
        writes = []
        for doc in docs:
            if doc["_id"] in previous:
                continue  # the overlap with the page before
            stats.read += 1
            wanted = _slots_of(doc)
            if any(doc.get(name) != value for name, value in wanted.items()):
                writes.append(UpdateOne({"_id": doc["_id"], "version": doc.get("version", 0)}, {"$set": wanted}))
        if writes:
            result = col.bulk_write(writes, ordered=False)
            stats.rewritten += result.modified_count
            stats.skipped_changed += len(writes) - result.matched_count
        previous = {d["_id"] for d in docs}
        position = skip + len(docs)
        if progress:
            stats.seconds = time.monotonic() - began
            progress(stats)
        if len(docs) < limit:
            break
    set_lookup_layout(ctx.db, LAYOUT)
    stats.seconds = time.monotonic() - began
    return stats
