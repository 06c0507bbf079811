"""Real processes: the customer worker builds the timeline from policy events (once per event id),
and the spine slice CreateCustomer (gRPC process) → outbox → customer-relay → policy-worker."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pika
import pytest
from peyvand.customer.v1 import customer_pb2 as pb
from peyvand_runtime.ids import new_id
from peyvand_runtime.settings import ProcessSettings
from peyvand_runtime.store import connect
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs


@pytest.fixture
def stack(isolated) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    plan = PortPlan.on_free_ports()
    wanted = ("customer-grpc", "customer-worker", "customer-relay", "policy-worker")
    specs = [s for s in process_specs(plan) if s.name in wanted]
    env = isolated.env(CONSUMER_MAX_ATTEMPTS="3", CONSUMER_RETRY_DELAY_MS="100", RELAY_IDLE_SLEEP_SECONDS="0.05")
    built = Stack(specs, env, plan, isolated.tmp / "logs")
    try:
        yield built
    finally:
        for process in built.processes.values():
            process.stop(grace=5)


def _wait(predicate: Callable[[], bool], timeout: float, stack: Stack, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    logs = "\n".join(f"--- {p.name}\n{p.log_tail(15)}" for p in stack.processes.values())
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def _publish(amqp_uri: str, exchange: str, routing_key: str, body: dict) -> None:  # type: ignore[type-arg]
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        channel.confirm_delivery()
        channel.basic_publish(exchange, routing_key, json.dumps(body).encode(), pika.BasicProperties(content_type="application/json", delivery_mode=2))
    finally:
        connection.close()


def test_worker_applies_a_policy_event_delivered_twice_once(api, isolated, stack) -> None:  # type: ignore[no-untyped-def]
    stack.start("customer-worker")
    customer = api.create(first_name="کامران", last_name="یزدی", contact_points=[]).customer
    stub = api.stub(api.ADMIN)
    stub.LogInteraction(pb.LogInteractionRequest(customer_id=customer.customer_id, kind="visit", summary="بازدید حضوری", at="2026-01-01T08:00:00Z"))
    event_id = new_id("evt")
    body = {
        "event_id": event_id, "type": "policy.issued", "version": 1, "occurred_at": "2026-02-01T09:30:00.000Z", "producer": "policy",
        "correlation_id": "req_t", "payload": {"holder_id": customer.customer_id, "policy_id": "pol_01JTESTPOLICY0000000000000", "policy_number": "1201-1404-000017", "product_code": "car_third_party", "aggregate_version": 1},
    }
    for _ in range(2):  # a redelivery: same event id, a different delivery
        _publish(isolated.amqp_uri, "policy.events", "policy.issued", body)
    entries = lambda: stub.ListTimeline(pb.ListTimelineRequest(customer_id=customer.customer_id)).entries  # noqa: E731
    _wait(lambda: len(entries()) >= 2, 30, stack, "the policy event on the timeline")
    time.sleep(1.0)
    listed = entries()
    assert [e.kind for e in listed] == ["policy_issued", "visit"]  # newest first, one entry per event
    assert listed[0].entry_id == event_id and "1201-1404-000017" in listed[0].summary and listed[0].ref_id.startswith("pol_")
    first = stub.ListTimeline(pb.ListTimelineRequest(customer_id=customer.customer_id, page={"page_size": 1}))
    second = stub.ListTimeline(pb.ListTimelineRequest(customer_id=customer.customer_id, page={"page_size": 1, "page_token": first.page.next_page_token}))
    assert [e.kind for e in first.entries] == ["policy_issued"] and [e.kind for e in second.entries] == ["visit"] and not second.page.next_page_token
    # The profile with its timeline in one call: ListTimeline's first page, continued by ListTimeline.
    with_timeline = stub.GetCustomer(pb.GetCustomerRequest(customer_id=customer.customer_id, timeline_page_size=1))
    assert with_timeline.customer.customer_id == customer.customer_id and with_timeline.HasField("timeline_page")
    assert list(with_timeline.timeline) == list(first.entries) and with_timeline.timeline_page.next_page_token
    rest = stub.ListTimeline(pb.ListTimelineRequest(customer_id=customer.customer_id, page={"page_size": 5, "page_token": with_timeline.timeline_page.next_page_token}))
    assert [e.kind for e in rest.entries] == ["visit"]
    plain = stub.GetCustomer(pb.GetCustomerRequest(customer_id=customer.customer_id))
    assert not plain.timeline and not plain.HasField("timeline_page")


def test_grpc_create_reaches_the_policy_projection(isolated, stack) -> None:  # type: ignore[no-untyped-def]
    stack.start("policy-worker", "customer-relay", "customer-grpc")
    from peyvand.customer.v1 import customer_pb2_grpc
    from peyvand_runtime.grpc_client import ServiceClient
    from peyvand_runtime.identity import Caller

    caller = Caller("usr_01STAFF", "user", "staff", branch_codes=("1201",))
    client = ServiceClient(f"127.0.0.1:{stack.plan.grpc['customer']}", customer_pb2_grpc.CustomerServiceStub, "peyvand.customer.v1.CustomerService", isolated.env()["IDENTITY_SECRET"], caller_provider=lambda: caller, default_timeout=10)
    try:
        created = client.stub.CreateCustomer(pb.CreateCustomerRequest(customer=pb.CustomerInput(kind=pb.PERSON, first_name="ندا", last_name="رحیمی", contact_points=[pb.ContactPoint(kind="mobile", value="09350001122")]))).customer
    finally:
        client.close()
    policy_db = connect("policy", ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix))
    _wait(lambda: policy_db["customer_refs"].find_one({"_id": created.customer_id}) is not None, 40, stack, "customer_refs row")
    ref = policy_db["customer_refs"].find_one({"_id": created.customer_id})
    assert ref["display_name"] == "ندا رحیمی" and ref["branch_code"] == "1201" and ref["mobile"] == "+989350001122" and ref["version"] == 1
