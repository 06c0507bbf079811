"""Fixtures for the spine slice: customer aggregates written through the outbox, the customer
relay, and the policy worker that applies ``customer.*`` events, as real processes."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator

import pika
import pytest
from peyvand_runtime import outbox, store
from peyvand_runtime.domain import DomainEvent
from peyvand_runtime.ids import new_id
from peyvand_runtime.settings import ProcessSettings
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs


class Slice:
    def __init__(self, isolated, stack: Stack) -> None:  # type: ignore[no-untyped-def]
        self.isolated = isolated
        self.stack = stack
        settings = ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix)
        self.customer_db = store.connect("customer", settings)
        self.policy_db = store.connect("policy", settings)

    def create_customers(self, count: int, prefix: str = "c") -> list[str]:
        ids = []
        now = dt.datetime.now(dt.UTC)
        for i in range(count):
            customer_id = new_id("cus")
            snapshot = {"customer_id": customer_id, "display_name": f"مشتری {prefix}{i}", "agent_id": "agt_1", "branch_code": "101", "status": "active"}
            outbox.save(self.customer_db["parties"], customer_id, 0, {"display_name": snapshot["display_name"]}, [DomainEvent("customer.created", snapshot)], "customer", now)
            ids.append(customer_id)
        return ids

    def refs_count(self) -> int:
        return self.policy_db["customer_refs"].count_documents({})

    def applied_count(self) -> int:
        return self.policy_db["applied_events"].count_documents({})

    def pending_count(self) -> int:
        return self.customer_db["parties"].count_documents({"outbox_pending": 1})

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        logs = "\n".join(f"--- {p.name}\n{p.log_tail(15)}" for p in self.stack.processes.values())
        raise AssertionError(f"timed out waiting for {what}\n{logs}")

    def publish_raw(self, routing_key: str, body: bytes, exchange: str = "customer.events") -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.isolated.amqp_uri))
        try:
            channel = connection.channel()
            channel.exchange_declare(exchange, exchange_type="topic", durable=True)
            channel.confirm_delivery()
            channel.basic_publish(exchange, routing_key, body, pika.BasicProperties(content_type="application/json", delivery_mode=2))
        finally:
            connection.close()

    def queue_depth(self, queue: str) -> int:
        connection = pika.BlockingConnection(pika.URLParameters(self.isolated.amqp_uri))
        try:
            return int(connection.channel().queue_declare(queue, durable=True, passive=True).method.message_count)
        finally:
            connection.close()


@pytest.fixture
def spine_slice(isolated) -> Iterator[Slice]:  # type: ignore[no-untyped-def]
    plan = PortPlan.on_free_ports()
    specs = [s for s in process_specs(plan) if s.name in ("customer-relay", "policy-worker")]
    stack = Stack(specs, isolated.env(CONSUMER_MAX_ATTEMPTS="3", CONSUMER_RETRY_DELAY_MS="100", RELAY_IDLE_SLEEP_SECONDS="0.05"), plan, isolated.tmp / "logs")
    sl = Slice(isolated, stack)
    try:
        yield sl
    finally:
        for process in stack.processes.values():
            process.stop(grace=5)
