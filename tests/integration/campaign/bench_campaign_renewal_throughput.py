"""Throughput: policy.renewal_due events → SMS handed to the (fake) provider, real processes.

    .venv/bin/python -m pytest tests/integration/campaign/bench_campaign_renewal_throughput.py -q -s

Not collected by the normal run (file name). Prints events/s for planning (worker) and for
the whole path to the provider (worker + jobs sender). BENCH_EVENTS sets the count (2000).
"""

from __future__ import annotations

import os
import time

import pika
from peyvand_campaign.adapters import projections
from peyvand_campaign.adapters.collections import ensure_indexes
from peyvand_runtime.envelope import Envelope
from peyvand_runtime.ids import new_id

from .test_campaign_renewal_journey import renewal_due


def test_renewal_due_to_sms_throughput(campaign_rig) -> None:  # type: ignore[no-untyped-def]
    count = int(os.environ.get("BENCH_EVENTS", "2000"))
    rig = campaign_rig(processes=("campaign-worker", "campaign-jobs"), SMS_RATE_PER_SECOND="100000", CONSUMER_PREFETCH="64")
    ensure_indexes(rig.db)
    customers = [new_id("cus") for _ in range(count)]
    for i, customer_id in enumerate(customers):
        projections.apply_customer(rig.db, {"customer_id": customer_id, "display_name": f"مشتری {i}", "mobile": f"+98912{i:07d}",
                                            "agent_id": "agt_1", "branch_code": "1201", "language": "fa", "aggregate_version": 1},
                                   __import__("datetime").date(2026, 6, 10))
    connection = pika.BlockingConnection(pika.URLParameters(rig.isolated.amqp_uri))
    channel = connection.channel()
    channel.exchange_declare("policy.events", exchange_type="topic", durable=True)
    channel.confirm_delivery()
    started = time.monotonic()
    for customer_id in customers:
        payload = renewal_due(new_id("pol"), customer_id, 30)
        body = Envelope(new_id("evt"), "policy.renewal_due", 1, "2026-06-10T08:30:00.000Z", "policy", "req_bench", payload).to_json()
        channel.basic_publish("policy.events", "policy.renewal_due", body.encode(), pika.BasicProperties(delivery_mode=2))
    published = time.monotonic() - started
    connection.close()
    rig.wait_for(lambda: rig.db["deliveries"].estimated_document_count() >= count, 600, "all deliveries planned")
    planned = time.monotonic() - started
    rig.wait_for(lambda: len(rig.sms.messages) >= count, 600, "all SMS handed to the provider")
    done = time.monotonic() - started
    assert len(rig.sms.messages) == count
    print(f"\n{count} renewal_due events: published in {published:.1f}s; planned (worker) in {planned:.1f}s "
          f"= {count / planned:.0f}/s; all SMS at the provider in {done:.1f}s = {count / done:.0f} SMS/s end to end")
