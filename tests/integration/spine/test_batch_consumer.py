"""``@on_event_batch``: events handed over in batches, each applied once, failures retried alone.

A real worker process (``batch_probe_worker.py``) against the private broker and store.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pika
import pytest
from peyvand_runtime import store
from peyvand_runtime.envelope import Envelope
from peyvand_runtime.ids import new_id
from peyvand_runtime.settings import ProcessSettings

QUEUE = "evt-customer-customer.created--probe.handle_created"
NO_INBOX_QUEUE = "evt-customer-customer.updated--probe.handle_updated"
PROBE = Path(__file__).with_name("batch_probe_worker.py")


class Probe:
    def __init__(self, isolated: Any) -> None:
        self.isolated = isolated
        self.db = store.connect("probe", ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix))
        self.log = isolated.tmp / "probe.log"
        env = isolated.env(CONSUMER_MAX_ATTEMPTS="3", CONSUMER_RETRY_DELAY_MS="100", CONSUMER_PREFETCH="100")
        self.proc = subprocess.Popen([sys.executable, str(PROBE)], env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        self.wait_for(lambda: self.queue_depth(QUEUE) is not None and self.queue_depth(NO_INBOX_QUEUE) is not None, 60,
                      "the probe's queues")

    def queue_depth(self, queue: str) -> int | None:
        connection = pika.BlockingConnection(pika.URLParameters(self.isolated.amqp_uri))
        try:
            return int(connection.channel().queue_declare(queue, durable=True, passive=True).method.message_count)
        except pika.exceptions.ChannelClosedByBroker:
            return None
        finally:
            if connection.is_open:
                connection.close()

    def publish(self, envelopes: list[Envelope], routing_key: str = "customer.created") -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.isolated.amqp_uri))
        try:
            channel = connection.channel()
            channel.exchange_declare("customer.events", exchange_type="topic", durable=True)
            channel.confirm_delivery()
            for envelope in envelopes:
                channel.basic_publish("customer.events", routing_key, envelope.to_json().encode(),
                                      pika.BasicProperties(content_type="application/json", delivery_mode=2))
        finally:
            connection.close()

    def wait_for(self, predicate: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the probe worker exited:\n{self.log.read_text()[-3000:]}")
            if predicate():
                return
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def probe(isolated: Any) -> Iterator[Probe]:
    worker = Probe(isolated)
    try:
        yield worker
    finally:
        worker.stop()


def event(**payload: Any) -> Envelope:
    return Envelope(new_id("evt"), "customer.created", 1, "2026-06-10T08:30:00.000Z", "customer", "req_test",
                    {"customer_id": new_id("cus"), **payload})


def test_events_arrive_in_batches_and_each_is_applied_once(probe: Probe) -> None:
    events = [event() for _ in range(300)]
    # Five events published twice (a producer retry, a relay replay): still applied once.
    probe.publish(events + events[:5])
    probe.wait_for(lambda: probe.db["applied"].count_documents({}) == 300 and probe.queue_depth(QUEUE) == 0, 60, "300 applied")
    time.sleep(1)
    counts = [d["n"] for d in probe.db["applied"].find()]
    assert len(counts) == 300 and set(counts) == {1}
    sizes = [d["size"] for d in probe.db["batches"].find()]
    assert max(sizes) > 1 and max(sizes) <= 50, sizes  # batched, never above max_batch
    assert sum(sizes) == 300, sizes  # no event handed over twice
    applied = probe.db["applied_events"].count_documents({})
    assert applied == 300


def test_a_failed_event_is_retried_alone_then_dead_lettered(probe: Probe) -> None:
    good = [event() for _ in range(20)]
    bad = event(fail=True)
    probe.publish(good[:10] + [bad] + good[10:])
    probe.wait_for(lambda: probe.queue_depth(f"{QUEUE}.dlq") == 1, 60, "the failing event in the dead-letter queue")
    counts = {d["_id"]: d["n"] for d in probe.db["applied"].find()}
    assert counts == {e.event_id: 1 for e in good}
    handed = [i for d in probe.db["batches"].find() for i in d["ids"]]
    assert handed.count(bad.event_id) == 3  # CONSUMER_MAX_ATTEMPTS
    assert all(handed.count(e.event_id) == 1 for e in good)


def test_a_batch_that_raises_is_retried_event_by_event_attempts(probe: Probe) -> None:
    boom = event(boom=True)
    probe.publish([boom])
    probe.wait_for(lambda: probe.queue_depth(f"{QUEUE}.dlq") == 1, 60, "the raising batch dead-lettered")
    assert probe.db["applied"].count_documents({}) == 0
    probe.publish([event()])
    probe.wait_for(lambda: probe.db["applied"].count_documents({}) == 1, 30, "the worker still applies events")


def test_a_batch_handler_without_inbox_is_handed_every_delivery_and_records_nothing(probe: Probe) -> None:
    """``inbox=False``: no look-up and no record, so an event published twice in different
    batches reaches the method twice (the handler must be idempotent by key); two copies in
    one batch still reach it once. Failures and acks work as with the inbox."""
    events = [event() for _ in range(40)]
    probe.publish(events + events[:3], routing_key="customer.updated")  # copies inside the stream
    probe.wait_for(lambda: probe.db["handed_no_inbox"].count_documents({}) == 40 and probe.queue_depth(NO_INBOX_QUEUE) == 0,
                   60, "40 handed over")
    time.sleep(0.5)
    probe.publish(events[:5], routing_key="customer.updated")  # a replay, in a later batch
    probe.wait_for(lambda: sum(d["n"] for d in probe.db["handed_no_inbox"].find()) >= 45 and probe.queue_depth(NO_INBOX_QUEUE) == 0,
                   60, "the replay handed over again")
    time.sleep(1)
    counts = {d["_id"]: d["n"] for d in probe.db["handed_no_inbox"].find()}
    replayed = {e.event_id for e in events[:5]}
    # The replayed five reached it again; the three in-stream copies at most once more each
    # (once when they fell into the first copy's batch, twice when into a later one).
    assert all(counts[e.event_id] >= 2 for e in events[:5]), counts
    assert all(counts[e.event_id] == 1 for e in events[5:]), counts
    assert sum(counts.values()) <= 40 + 3 + 5
    assert all(counts[i] <= 3 for i in replayed)
    assert probe.db["applied_events"].count_documents({}) == 0  # nothing else was published
    assert probe.queue_depth(f"{NO_INBOX_QUEUE}.dlq") == 0
