"""Drive and observe the spine (outbox → relay → RabbitMQ → consumer) from tests: customers
written with their ``customer.created`` envelope, raw publishes, queue depths, and waiting.

One place for what the spine integration tests and the fault tests both do.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pika
from peyvand_runtime import outbox
from peyvand_runtime.domain import DomainEvent
from peyvand_runtime.ids import new_id

from peyvand_stack.harness import Stack


def write_customers(parties: Any, count: int, prefix: str = "c", on_written: Callable[[str], None] | None = None) -> list[str]:
    """Save ``count`` minimal customers with their ``customer.created`` event in the outbox, as
    the customer service would (one document write each); returns their ids in write order.
    ``on_written`` hears each id as soon as it is stored (for writers in a background thread)."""
    ids = []
    now = dt.datetime.now(dt.UTC)
    for i in range(count):
        customer_id = new_id("cus")
        snapshot = {"customer_id": customer_id, "display_name": f"مشتری {prefix}{i}", "agent_id": "agt_1", "branch_code": "101", "status": "active"}
        outbox.save(parties, customer_id, 0, {"display_name": snapshot["display_name"]}, [DomainEvent("customer.created", snapshot)], "customer", now)
        ids.append(customer_id)
        if on_written is not None:
            on_written(customer_id)
    return ids


def publish_raw(amqp_uri: str, routing_key: str, body: bytes, exchange: str = "customer.events") -> None:
    """Publish bytes as they are (confirmed, persistent): for poison and foreign messages."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        channel.confirm_delivery()
        channel.basic_publish(exchange, routing_key, body, pika.BasicProperties(content_type="application/json", delivery_mode=2))
    finally:
        connection.close()


def queue_depth(amqp_uri: str, queue: str) -> int:
    """Messages ready in a durable queue (it must exist)."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        return int(connection.channel().queue_declare(queue, durable=True, passive=True).method.message_count)
    finally:
        connection.close()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, stack: Stack | None = None, poll: float = 0.2,
             state: Callable[[], Any] | None = None) -> None:
    """Poll until ``predicate()``; on timeout fail with ``state()`` and each process's log tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll)
    logs = "" if stack is None else "\n".join(f"--- {p.name}\n{p.log_tail(15)}" for p in stack.processes.values())
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; state: {state() if state else '-'}\n{logs}")
