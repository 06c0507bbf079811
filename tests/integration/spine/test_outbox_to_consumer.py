"""The spine end to end: aggregate write + outbox → relay → RabbitMQ → idempotent nameko consumer.

Each test counts what a user would notice: every customer reaches the policy service's
projection exactly once in effect, whatever happens to the broker and the worker.
"""

from __future__ import annotations

import json

QUEUE = "evt-customer-customer.created--policy.handle_customer_created"


def test_every_event_applied_once_and_duplicates_absorbed(spine_slice) -> None:  # type: ignore[no-untyped-def]
    sl = spine_slice
    sl.stack.start("policy-worker")
    ids = sl.create_customers(300)
    sl.stack.start("customer-relay")
    sl.wait_for(lambda: sl.refs_count() == 300 and sl.applied_count() == 300, 60, "300 customers applied")
    assert sl.pending_count() == 0

    # The same events delivered again (e.g. a relay that crashed after publishing but
    # before clearing): the consumer skips them; nothing is applied twice.
    first = sl.customer_db["parties"].find_one({"_id": ids[0]})
    assert first["outbox"] == []
    applied_before = sl.applied_count()
    doc = sl.policy_db["applied_events"].find_one({})
    event_id = doc["_id"].split(":", 1)[1]
    snapshot = sl.policy_db["customer_refs"].find_one({})
    body = {
        "event_id": event_id, "type": "customer.created", "version": 1, "occurred_at": "2026-11-22T10:00:00.000Z",
        "producer": "customer", "correlation_id": "req_test", "payload": {"customer_id": snapshot["_id"], "display_name": "DUPLICATE", "aggregate_version": 99},
    }
    for _ in range(3):
        sl.publish_raw("customer.created", json.dumps(body).encode())
    sl.wait_for(lambda: sl.queue_depth(QUEUE) == 0, 20, "duplicates consumed")
    assert sl.applied_count() == applied_before
    # Skipped, so the duplicate's different content never reached the projection.
    assert sl.policy_db["customer_refs"].find_one({"_id": snapshot["_id"]})["display_name"] != "DUPLICATE"
    assert sl.refs_count() == 300


def test_worker_killed_mid_batch_loses_and_duplicates_nothing(spine_slice) -> None:  # type: ignore[no-untyped-def]
    sl = spine_slice
    sl.stack.start("policy-worker")
    sl.create_customers(2000)
    sl.stack.start("customer-relay")
    sl.wait_for(lambda: sl.refs_count() >= 300, 60, "the worker to be mid-way")
    sl.stack["policy-worker"].kill()
    midway = sl.refs_count()
    assert midway < 2000, "the kill should land mid-batch"
    sl.stack.start("policy-worker")
    sl.wait_for(lambda: sl.refs_count() == 2000 and sl.applied_count() == 2000, 120, "all 2000 applied after the restart")
    assert sl.policy_db["customer_refs"].count_documents({"version": 1}) == 2000


def test_broker_stopped_and_restarted_mid_run(spine_slice) -> None:  # type: ignore[no-untyped-def]
    sl = spine_slice
    sl.stack.start("policy-worker", "customer-relay")
    sl.create_customers(400, "a")
    sl.wait_for(lambda: sl.refs_count() >= 100, 60, "events flowing before the outage")
    rabbit = sl.isolated.infra.rabbit
    rabbit.stop()
    # The services keep accepting writes while the broker is down: events wait in the outbox.
    sl.create_customers(400, "b")
    assert sl.pending_count() > 0
    rabbit.restart()
    sl.wait_for(lambda: sl.refs_count() == 800 and sl.applied_count() == 800, 180, "all 800 applied after the broker came back")
    assert sl.pending_count() == 0
    assert sl.stack["customer-relay"].alive and sl.stack["policy-worker"].alive


# The poison-message / dead-letter / redrive test lives in tests/faults/test_faults_spine.py.
