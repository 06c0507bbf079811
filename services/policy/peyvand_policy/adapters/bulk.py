"""Loading many policies fast (benchmarks, migrations): ``insert_many`` in pages of 5,000.

Indexes: on nx-27017 0.8.1 every secondary index costs on each insert (measured, 20k policies of
~1.3 KB BSON, 2 busy cores: 536/s with the service's 8 policy indexes in place, 1,477/s into a
bare collection + 1.2 s to build the 8 indexes afterwards). For a large load into an EMPTY
database, call ``insert_policies_bulk`` before ``ensure_indexes`` and build them after the load
(``create_index`` on an existing collection). Do not do that against a live service: it queries
by those indexes (and the unique ``policy_number`` index guards numbering).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from pymongo.database import Database
from pymongo.errors import BulkWriteError

from peyvand_policy.adapters.documents import PARTIES, POLICIES, STATS
from peyvand_policy.adapters.mapping import policy_fields
from peyvand_policy.adapters.repositories import party_links
from peyvand_policy.adapters.status_counts import count_status_change
from peyvand_policy.domain.policy import Policy

PAGE = 5_000


def insert_policies_bulk(database: Database, policies: Iterable[Policy], now: dt.datetime | None = None,
                         publish: bool = False, progress: Callable[[int], None] | None = None) -> int:
    """Insert policies as stored documents (version 1); returns how many were inserted.

    By default their events are NOT put in the outbox (a bulk load is not news for other
    services); ``publish=True`` would need per-document envelopes, so use the repositories
    for that. Already stored ids are skipped, so a re-run after a crash completes the load.
    The iterable is consumed page by page: pass a generator to keep memory flat.
    ``progress(inserted_so_far)`` is called after every page.
    """
    now = now or dt.datetime.now(dt.UTC)
    if publish:
        raise ValueError("bulk loads do not publish events; issue through the service layer instead")
    collection = database[POLICIES]
    inserted = 0
    page: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for policy in policies:
        policy.pull_events()
        links += party_links(policy)
        page.append({"_id": policy.id, **policy_fields(policy), "version": 1, "outbox": [], "outbox_pending": 0,
                     "created_at": now, "updated_at": now})
        if len(page) >= PAGE:
            if links:
                _insert(database[PARTIES], links)  # links first: a policy never lacks its links
            inserted += _insert(collection, page)
            page, links = [], []
            if progress is not None:
                progress(inserted)
    if page:
        if links:
            _insert(database[PARTIES], links)
        inserted += _insert(collection, page)
        if progress is not None:
            progress(inserted)
    return inserted


def _insert(collection: Any, page: list[dict[str, Any]]) -> int:
    try:
        inserted_ids = set(collection.insert_many(page, ordered=False).inserted_ids)
    except BulkWriteError as exc:
        if any(err.get("code") != 11000 for err in exc.details.get("writeErrors", [])):
            raise
        failed = {page[err["index"]]["_id"] for err in exc.details.get("writeErrors", [])}
        inserted_ids = {doc["_id"] for doc in page} - failed
    if collection.name == POLICIES:
        by_status = Counter((doc["status"], doc["product_code"]) for doc in page if doc["_id"] in inserted_ids)
        for (status, product), count in by_status.items():
            count_status_change(collection.database[STATS], product, None, status, by=count)
    return len(inserted_ids)
