"""A customer's deliveries (the 360° view's messages part) against the private nx-27017."""

from __future__ import annotations

import datetime as dt
from typing import Any

from campaign_it_support import NOON  # type: ignore[import-not-found]
from peyvand_campaign.adapters import deliveries_repo
from peyvand_campaign.adapters.collections import DELIVERIES, ensure_indexes
from peyvand_campaign.domain.delivery import Delivery
from peyvand_runtime.ids import new_id
from pymongo import DESCENDING


def test_a_customers_deliveries_come_newest_first_from_the_customer_index(db: Any) -> None:
    """``created_at`` is not indexed (a customer's few deliveries are sorted in memory); an index
    an older release made on it is dropped when the indexes are ensured."""
    db[DELIVERIES].create_index([("created_at", DESCENDING)])  # as an older release left it
    ensure_indexes(db)
    assert not [i for i in db[DELIVERIES].index_information().values() if list(i["key"])[0][0] == "created_at"]
    customer = new_id("cus")
    for minutes in (5, 50, 20):
        at = NOON - dt.timedelta(minutes=minutes)
        delivery = Delivery.queue(dedup_key=f"{new_id('jrn')}:30:sms", customer_id=customer, channel="sms", purpose="service",
                                  template_id="tpl_x", now=at)
        deliveries_repo.insert_once(db, delivery, at)
    for _ in range(3):  # other customers' deliveries
        other = Delivery.queue(dedup_key=f"{new_id('jrn')}:30:sms", customer_id=new_id("cus"), channel="sms", purpose="service",
                               template_id="tpl_x", now=NOON)
        deliveries_repo.insert_once(db, other, NOON)
    shown = deliveries_repo.for_customer(db, customer, 2)
    assert [d["created_at"] for d in shown] == [NOON - dt.timedelta(minutes=5), NOON - dt.timedelta(minutes=20)]


def test_delivery_indexes_no_query_needs_are_dropped(db: Any) -> None:
    """``status`` and ``provider_message_id`` cost every delivery write and serve no query (a
    status is always asked beside a journey, customer or campaign; reports go by
    ``report_due_ms``): an older release's indexes on them are dropped, the rest stay."""
    db[DELIVERIES].create_index("status")  # as an older release left them
    db[DELIVERIES].create_index("provider_message_id")
    ensure_indexes(db)
    fields = {list(i["key"])[0][0] for i in db[DELIVERIES].index_information().values()}
    assert "status" not in fields and "provider_message_id" not in fields
    assert {"_id", "dedup_key", "due_ms", "customer_id", "journey_id", "campaign_id", "outbox_pending", "report_due_ms"} <= fields
    # A journey's queued deliveries (stop, merge) still come from its index, queued ones only.
    journey = new_id("jrn")
    for window, channel in ((30, "sms"), (15, "email")):
        delivery = Delivery.queue(dedup_key=f"{journey}:{window}:{channel}", customer_id=new_id("cus"), channel=channel,
                                  purpose="service", template_id="tpl_x", now=NOON, journey_id=journey)
        deliveries_repo.insert_once(db, delivery, NOON)
    sent = deliveries_repo.from_doc(db[DELIVERIES].find_one({"dedup_key": f"{journey}:30:sms"}))
    sent.mark_sent("8792343", NOON)
    deliveries_repo.save(db, sent, NOON)
    queued = list(db[DELIVERIES].find({"journey_id": journey, "status": "queued"}))
    assert [d["dedup_key"] for d in queued] == [f"{journey}:15:email"]
