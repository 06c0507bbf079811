"""Fixtures for the spine slice: customer aggregates written through the outbox, the customer
relay, and the policy worker that applies ``customer.*`` events, as real processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from peyvand_runtime import store
from peyvand_runtime.settings import ProcessSettings
from peyvand_stack import spine_probe
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
        return spine_probe.write_customers(self.customer_db["parties"], count, prefix)

    def refs_count(self) -> int:
        return self.policy_db["customer_refs"].count_documents({})

    def applied_count(self) -> int:
        return self.policy_db["applied_events"].count_documents({})

    def pending_count(self) -> int:
        return self.customer_db["parties"].count_documents({"outbox_pending": 1})

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        spine_probe.wait_for(predicate, timeout, what, self.stack)

    def publish_raw(self, routing_key: str, body: bytes, exchange: str = "customer.events") -> None:
        spine_probe.publish_raw(self.isolated.amqp_uri, routing_key, body, exchange)

    def queue_depth(self, queue: str) -> int:
        return spine_probe.queue_depth(self.isolated.amqp_uri, queue)


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
