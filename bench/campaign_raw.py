"""The campaign suite's store baseline: what the renewal pipeline asks of nx-27017 per notice,
issued by pymongo alone (no broker, no worker, no HTTP), with the documents the pipeline writes.

Per batch of 500 events (the worker): policy facts, journeys and profiles ``$in`` (no fact
write: the events bring only the renewal quote, which the deliveries carry; no inbox: the
renewal handler is idempotent by key and keeps none since round 12); one ``insert_many`` each of
deliveries (with the service's indexes, each carrying the policy fact it renders) and journeys. Per page of 100 due deliveries (the sender): the ``due_ms``
window read (unclaimed only, the page's size), one ``update_many`` claim (version-guarded; all
won, so no re-read), the journeys (status) and profiles ``$in`` (re-check and render; the policy
fact rides on the delivery, agents and templates come from the sender's 10 s cache) and one bulk
sent mark writing the fields the send changed with its outbox envelope
(``deliveries_repo.save_many``, as the sender). notices/s = events ÷ wall time of both phases,
run one after the other.
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

NOW = dt.datetime(2026, 6, 10, 6, 0, tzinfo=dt.UTC)


def store_mix(db: Any, rows: list[tuple[str, str, str]], plan_batch: int = 500, send_page: int = 100) -> float:
    """``rows`` = (customer, policy, agent) already pre-loaded into ``db``; returns notices/s."""
    began = time.perf_counter()
    delivery_ids: list[str] = []
    for start in range(0, len(rows), plan_batch):
        chunk = rows[start:start + plan_batch]
        list(db[POLICY_FACTS].find({"_id": {"$in": [p for _, p, _ in chunk]}}))
        list(db[PROFILES].find({"_id": {"$in": [c for c, _, _ in chunk]}}))
        # No policy fact write: the events bring only the renewal quote (version 3 of the version-2
        # facts), which rides on the deliveries (projections_bulk._only_the_quote_is_new).
        found, journeys, deliveries = [], [], []
        for customer, policy, _ in chunk:
            journey = Journey.start(RENEWAL, customer, NOW, policy_id=policy, term_end=dt.date(2026, 7, 10))
            journey.id = journey_id_for(journey.natural_key)
            found.append(journey.id)
            (message,) = journey.plan(30, NOW, DEFINITIONS[RENEWAL]).messages
            delivery = Delivery.queue(dedup_key=message.dedup_key, customer_id=customer, channel="sms", purpose="service",
                                      template_id="tpl_raw", now=NOW, send_at=NOW, journey_id=journey.id, policy_id=policy)
            policy_fact = {"policy_number": "1000-1404-0000001", "product_code": "MOTOR_TPL", "term_end": "2026-07-10",
                           "premium": 38_000_000, "renewal_premium": 41_000_000, "renewal_total_premium": 44_690_000, "agent_id": "agt_raw"}
            deliveries.append({**deliveries_repo.to_fields(delivery, {"language": "fa", "waiting_for": "", "window": 30, "policy": policy_fact}),
                               "_id": delivery.id, "version": 1, "outbox": [], "outbox_pending": 0})
            journeys.append({**journeys_repo.to_fields(journey), "_id": journey.id, "version": 1, "outbox": [], "outbox_pending": 0})
            delivery_ids.append(delivery.id)
        list(db[JOURNEYS].find({"_id": {"$in": found}}))
        db[DELIVERIES].insert_many(deliveries, ordered=False)
        db[JOURNEYS].insert_many(journeys, ordered=False)
    now_ms = deliveries_repo.epoch_ms(NOW) + 1000
    for _ in range(0, len(delivery_ids), send_page):
        docs = list(db[DELIVERIES].find({"due_ms": {"$lte": now_ms}, "claimed_until_ms": {"$lt": now_ms}})
                    .sort("due_ms", 1).limit(int(send_page * deliveries_repo.CLAIM_WINDOW)))[:send_page]
        if not docs:
            break
        db[DELIVERIES].update_many({"_id": {"$in": [d["_id"] for d in docs]}, "version": 1, "due_ms": {"$lte": now_ms},
                                    "claimed_until_ms": {"$lt": now_ms}}, {"$set": {"claimed_by": "raw", "claimed_until_ms": now_ms + 60_000}})
        for doc in docs:
            doc["claimed_by"], doc["claimed_until_ms"] = "raw", now_ms + 60_000
        # What the sender reads per claimed batch to re-check and render (the policy fact rides on
        # the delivery; agents and templates come from its 10 s cache: one $in per expiry, left out here).
        list(db[JOURNEYS].find({"_id": {"$in": [d["journey_id"] for d in docs]}}))
        list(db[PROFILES].find({"_id": {"$in": [d["customer_id"] for d in docs]}}))
        sent = []
        for doc in docs:
            delivery = deliveries_repo.from_doc(doc)
            delivery.mark_sent("8792343", NOW)
            sent.append((delivery, {"waiting_for": ""}))
        deliveries_repo.save_many(db, sent, NOW, before={d["_id"]: d for d in docs})  # the fields the send changed, + outbox
    return len(rows) / (time.perf_counter() - began)
