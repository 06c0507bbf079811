"""The campaign suite's store baseline: what the renewal pipeline asks of nx-27017 per notice,
issued by pymongo alone (no broker, no worker, no HTTP), with the documents the pipeline writes.

Per batch of 500 events (the worker): inbox ``$in``; policy facts, journeys and profiles ``$in``;
one bulk version-guarded upsert of the facts; one ``insert_many`` each of deliveries (the
service's 10 indexes), journeys and inbox ids. Per page of 100 due deliveries (the sender):
the ``due_ms`` window read (unclaimed only, 2 × the page), one bulk claim, a ``$in`` re-read,
the journeys (status), profiles and policy facts ``$in`` (re-check and render; agents and
templates come from the sender's 10 s cache) and one bulk sent mark writing the fields the
send changed with its outbox envelope (``deliveries_repo.save_many``, as the sender). notices/s = events ÷ wall time of both
phases, run one after the other.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from peyvand_campaign.adapters import deliveries_repo, journeys_repo
from peyvand_campaign.adapters.collections import DELIVERIES, JOURNEYS, POLICY_FACTS, PROFILES
from peyvand_campaign.domain.delivery import Delivery
from peyvand_campaign.domain.journeys import DEFINITIONS, RENEWAL, Journey
from peyvand_campaign.service_layer.journeys import journey_id_for
from peyvand_runtime.inbox import APPLIED
from pymongo import UpdateOne

NOW = dt.datetime(2026, 6, 10, 6, 0, tzinfo=dt.UTC)


def store_mix(db: Any, rows: list[tuple[str, str, str]], plan_batch: int = 500, send_page: int = 100) -> float:
    """``rows`` = (customer, policy, agent) already pre-loaded into ``db``; returns notices/s."""
    began = time.perf_counter()
    delivery_ids: list[str] = []
    for start in range(0, len(rows), plan_batch):
        chunk = rows[start:start + plan_batch]
        list(db[APPLIED].find({"_id": {"$in": [f"raw:{p}" for _, p, _ in chunk]}}, {"_id": 1}))
        list(db[POLICY_FACTS].find({"_id": {"$in": [p for _, p, _ in chunk]}}))
        list(db[PROFILES].find({"_id": {"$in": [c for c, _, _ in chunk]}}))
        db[POLICY_FACTS].bulk_write([UpdateOne({"_id": p, "version": {"$lt": 3}}, {"$set": {"renewal_premium": 41_000_000,
                                     "renewal_total_premium": 44_690_000, "version": 3}}, upsert=True) for _, p, _ in chunk], ordered=False)
        found, journeys, deliveries = [], [], []
        for customer, policy, _ in chunk:
            journey = Journey.start(RENEWAL, customer, NOW, policy_id=policy, term_end=dt.date(2026, 7, 10))
            journey.id = journey_id_for(journey.natural_key)
            found.append(journey.id)
            (message,) = journey.plan(30, NOW, DEFINITIONS[RENEWAL]).messages
            delivery = Delivery.queue(dedup_key=message.dedup_key, customer_id=customer, channel="sms", purpose="service",
                                      template_id="tpl_raw", now=NOW, send_at=NOW, journey_id=journey.id, policy_id=policy)
            deliveries.append({**deliveries_repo.to_fields(delivery, {"language": "fa", "waiting_for": "", "window": 30}),
                               "_id": delivery.id, "version": 1, "outbox": [], "outbox_pending": 0})
            journeys.append({**journeys_repo.to_fields(journey), "_id": journey.id, "version": 1, "outbox": [], "outbox_pending": 0})
            delivery_ids.append(delivery.id)
        list(db[JOURNEYS].find({"_id": {"$in": found}}))
        db[DELIVERIES].insert_many(deliveries, ordered=False)
        db[JOURNEYS].insert_many(journeys, ordered=False)
        db[APPLIED].insert_many([{"_id": f"raw:{p}", "applied_at": NOW} for _, p, _ in chunk], ordered=False)
    now_ms = deliveries_repo.epoch_ms(NOW) + 1000
    for start in range(0, len(delivery_ids), send_page):
        list(db[DELIVERIES].find({"due_ms": {"$lte": now_ms}, "claimed_until_ms": {"$lt": now_ms}})
             .sort("due_ms", 1).limit(send_page * deliveries_repo.CLAIM_WINDOW))
        page = delivery_ids[start:start + send_page]
        db[DELIVERIES].bulk_write([UpdateOne({"_id": d, "status": "queued"}, {"$set": {"claimed_by": "raw", "claimed_until_ms": now_ms + 60_000}})
                                   for d in page], ordered=False)
        docs = list(db[DELIVERIES].find({"_id": {"$in": page}}))
        # What the sender reads per claimed batch to re-check and render (agents and templates come
        # from its 10 s cache: one $in per expiry, left out here).
        list(db[JOURNEYS].find({"_id": {"$in": [d["journey_id"] for d in docs]}}))
        list(db[PROFILES].find({"_id": {"$in": [d["customer_id"] for d in docs]}}))
        list(db[POLICY_FACTS].find({"_id": {"$in": [d["policy_id"] for d in docs]}}))
        sent = []
        for doc in docs:
            delivery = deliveries_repo.from_doc(doc)
            delivery.mark_sent("8792343", NOW)
            sent.append((delivery, {"waiting_for": ""}))
        deliveries_repo.save_many(db, sent, NOW, before={d["_id"]: d for d in docs})  # the fields the send changed, + outbox
    return len(rows) / (time.perf_counter() - began)
