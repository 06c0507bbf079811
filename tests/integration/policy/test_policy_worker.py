"""The real policy worker process re-points policies when the customer service merges two customers."""

from __future__ import annotations

import datetime as dt
import json
import time

import pika
from peyvand_policy.service_layer import policies
from peyvand_runtime import identity
from peyvand_runtime.identity import service_caller
from peyvand_runtime.ids import new_id
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs


def publish_merge(amqp_uri: str, merged: str, survivor: str) -> None:
    body = {"event_id": new_id("evt"), "type": "customer.merged", "version": 1, "occurred_at": "2026-03-01T10:00:00.000Z",
            "producer": "customer", "correlation_id": "req_merge_test",
            "payload": {"survivor_id": survivor, "merged_id": merged, "survivor": {"customer_id": survivor}, "aggregate_version": 3}}
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.exchange_declare("customer.events", exchange_type="topic", durable=True)
        channel.confirm_delivery()
        channel.basic_publish("customer.events", "customer.merged", json.dumps(body).encode(),
                              pika.BasicProperties(content_type="application/json", delivery_mode=2))
    finally:
        connection.close()


def test_customer_merged_repoints_holder_and_insured(policy_env) -> None:  # type: ignore[no-untyped-def]
    env = policy_env
    merged, survivor, spouse = new_id("cus"), new_id("cus"), new_id("cus")
    start = dt.date(2026, 3, 1)
    held = env.issue(merged, start)
    health = env.issue(spouse, start, product="health_supp", inputs={"plan_tier": "gold", "age": "40", "insured_count": "1"})
    with identity.bound(service_caller("tests")):  # make `merged` an insured person on the spouse's policy too
        policies.endorse_policy(env.services, policies.EndorsePolicy(
            policy_id=health.id, expected_version=1, inputs={"insured_count": 2}, insured_ids=[spouse, merged]))
    untouched = env.issue(spouse, start)

    plan = PortPlan.on_free_ports()
    stack = Stack([s for s in process_specs(plan) if s.name == "policy-worker"], env.isolated.env(), plan, env.isolated.tmp / "logs")
    try:
        stack.start("policy-worker")
        publish_merge(env.isolated.amqp_uri, merged, survivor)
        publish_merge(env.isolated.amqp_uri, merged, survivor)  # the same merge told twice (another event id)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and env.services.policies.get(health.id).insured_ids != (spouse, survivor):
            time.sleep(0.2)
        time.sleep(1.0)  # let the second delivery be handled too
    finally:
        stack.stop()
    assert env.services.policies.get(held.id).holder_id == survivor
    assert env.services.policies.get(health.id).insured_ids == (spouse, survivor)
    assert env.services.policies.get(untouched.id).version == 1
    repointed = env.envelopes("policy.customer_repointed")
    assert sorted(e["payload"]["policy_id"] for e in repointed) == sorted([held.id, health.id])
    assert env.services.policies.ids_for_customer(merged) == []
    assert sorted(env.services.policies.ids_for_customer(survivor)) == sorted([held.id, health.id])
