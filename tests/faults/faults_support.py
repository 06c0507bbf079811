"""Helpers for the fault tests: the spine flow as real processes, a tap queue on an events
exchange, and the lost / duplicated tally every fault test prints and asserts. Publishing raw
bytes, queue depths and waiting come from ``peyvand_stack.spine_probe`` (re-exported here)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pika
from peyvand_runtime import store
from peyvand_runtime.settings import ProcessSettings
from peyvand_stack.harness import Stack, StackProcess
from peyvand_stack.processes import PortPlan, process_specs
from peyvand_stack.spine_probe import publish_raw, queue_depth, wait_for, write_customers

HERE = Path(__file__).resolve().parent
OBSERVED_WORKER = HERE / "observed_policy_worker.py"
CREATED_QUEUE = "evt-customer-customer.created--policy.handle_customer_created"
__all__ = ["CREATED_QUEUE", "SpineFlow", "Tally", "Tap", "all_threads_stopped", "listeners", "publish_raw", "published", "queue_depth", "tally", "wait_for"]
PUBLISHED_RE = re.compile(r'^peyvand_outbox_published_total\{producer="(\w+)"\} ([0-9.e+]+)$', re.M)


@dataclass(frozen=True)
class Tally:
    """What a fault cost: events that never took effect, and effects applied more than once."""

    name: str
    expected: int
    lost: int
    duplicated: int
    redelivered: int = 0  # extra deliveries the broker saw (absorbed by the inbox), for information

    def report(self) -> Tally:
        print(f"\nFAULT {self.name}: expected={self.expected} lost={self.lost} duplicated={self.duplicated} redelivered_absorbed={self.redelivered}")
        return self


def tally(name: str, expected: Iterable[str], effects: Iterable[str], deliveries: Iterable[str] = ()) -> Tally:
    """``expected`` keys each must appear exactly once in ``effects``; ``deliveries`` (event ids
    seen on a tap queue) only tell how many redeliveries the consumer had to absorb."""
    want = set(expected)
    seen = Counter(effects)
    delivered = Counter(deliveries)
    return Tally(
        name,
        len(want),
        lost=len(want - set(seen)),
        duplicated=sum(n - 1 for n in seen.values() if n > 1) + len(set(seen) - want),
        redelivered=sum(n - 1 for n in delivered.values() if n > 1),
    )


def published(process: StackProcess) -> float:
    """The relay's ``peyvand_outbox_published_total`` (-1 while it cannot answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{process.spec.metrics_port}/metrics", timeout=1) as response:
            match = PUBLISHED_RE.search(response.read().decode())
            return float(match.group(2)) if match else 0.0
    except OSError:
        return -1.0


def all_threads_stopped(pid: int) -> bool:
    """True once every thread of ``pid`` is in the stopped state. ``kill(SIGSTOP)`` returns
    before the group stop has reached each thread, so a test that needs a hung process waits
    for this rather than assuming it."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        states = [Path(f"/proc/{pid}/task/{t}/stat").read_text().rsplit(")", 1)[1].split()[0] for t in tasks]
    except OSError:
        return False
    return bool(states) and all(state in ("T", "t") for state in states)


def listeners(port: int) -> list[str]:
    """Who listens on TCP ``port`` (IPv4 and IPv6), as ``pid:command`` from ``/proc``: for a
    failure message when an answer came from where none was expected."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(fields[9])
    wanted = {f"socket:[{inode}]" for inode in inodes}
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:  # gone, or not ours to look into
            continue
        if any(_link(f"/proc/{pid}/fd/{fd}") in wanted for fd in fds):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                command = "?"
            found.append(f"{pid}:{command[:120]}")
    return found


def _link(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:  # a descriptor closed while we looked
        return ""


class Tap:
    """A durable queue bound to an events exchange: every message published there, counted."""

    def __init__(self, amqp_uri: str, exchange: str, routing_key: str) -> None:
        self.amqp_uri = amqp_uri
        self.queue = f"fault-tap-{exchange}-{routing_key}"
        connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        try:
            channel = connection.channel()
            channel.exchange_declare(exchange, exchange_type="topic", durable=True)
            channel.queue_declare(self.queue, durable=True)
            channel.queue_bind(self.queue, exchange, routing_key)
        finally:
            connection.close()

    def drain(self) -> list[dict[str, Any]]:
        """Every envelope in the queue (taken off it)."""
        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_uri))
        found = []
        try:
            channel = connection.channel()
            while True:
                method, _props, body = channel.basic_get(self.queue, auto_ack=True)
                if method is None:
                    return found
                found.append(json.loads(body))
        finally:
            connection.close()


class SpineFlow:
    """Customers saved with their outbox → customer-relay → RabbitMQ → policy-worker (observed)."""

    def __init__(self, isolated: Any, **env: str) -> None:
        self.isolated = isolated
        plan = PortPlan.on_free_ports()
        specs = []
        for spec in process_specs(plan):
            if spec.name == "policy-worker":
                specs.append(dataclasses.replace(spec, argv=(sys.executable, str(OBSERVED_WORKER))))
            elif spec.name == "customer-relay":
                specs.append(spec)
        base = {"CONSUMER_MAX_ATTEMPTS": "3", "CONSUMER_RETRY_DELAY_MS": "100", "RELAY_IDLE_SLEEP_SECONDS": "0.05", **env}
        self.stack = Stack(specs, isolated.env(**base), plan, isolated.tmp / "logs")
        settings = ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix)
        self.customer_db = store.connect("customer", settings)
        self.policy_db = store.connect("policy", settings)
        self.created: list[str] = []

    @property
    def relay(self) -> StackProcess:
        return self.stack["customer-relay"]

    @property
    def worker(self) -> StackProcess:
        return self.stack["policy-worker"]

    def start(self) -> None:
        """The worker first: its queues must be bound before the relay publishes (else unroutable)."""
        self.stack.start("policy-worker")
        self.stack.start("customer-relay")

    def create_customers(self, count: int, prefix: str = "c") -> list[str]:
        return write_customers(self.customer_db["parties"], count, prefix, on_written=self.created.append)

    def create_in_background(self, count: int) -> threading.Thread:
        thread = threading.Thread(target=self.create_customers, args=(count, "bg"), daemon=True)
        thread.start()
        return thread

    # -- what happened --------------------------------------------------------------------
    def refs_count(self) -> int:
        return int(self.policy_db["customer_refs"].estimated_document_count())

    def applied_count(self) -> int:
        return int(self.policy_db["applied_events"].estimated_document_count())

    def pending_count(self) -> int:
        return int(self.customer_db["parties"].count_documents({"outbox_pending": 1}))

    def projected_keys(self) -> list[str]:
        """One key per customer in the projection, at the version it holds."""
        return [f"{d['_id']}:v{d['version']}" for d in self.policy_db["customer_refs"].find({}, {"version": 1})]

    def effect_keys(self) -> list[str]:
        return [d["key"] for d in self.policy_db["fault_effects"].find({}, {"key": 1})]

    def tally(self, name: str, deliveries: Iterable[str] = ()) -> Tally:
        """Lost: a created customer missing from the projection (or at another version).
        Duplicated: a projection change journaled more than once for one customer version."""
        expected = {f"{c}:v1" for c in self.created}
        journaled = self.effect_keys()
        # Guard against a vacuous duplicate count: the journal must be seeing the worker's
        # writes (a SIGKILL between a write and its journal entry may miss a handful).
        assert len(expected & set(journaled)) >= 0.99 * len(expected), "the effect journal misses the worker's writes: was customer_refs.apply_snapshot replaced?"
        effects = tally(name, expected, journaled, deliveries)
        return dataclasses.replace(effects, lost=len(expected - set(self.projected_keys()))).report()

    def state(self) -> dict[str, int]:
        return {"created": len(self.created), "refs": self.refs_count(), "applied": self.applied_count(), "pending": self.pending_count()}

    def stop(self) -> None:
        for process in self.stack.processes.values():
            process.stop(grace=5)
