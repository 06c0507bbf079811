"""The spine benchmark: outbox.save → customer-relay → RabbitMQ → policy-worker → ``customer_refs``.

Baselines (raw pika, raw pymongo on the same nx-27017) are measured in the same run, then the
real relay and worker processes, alone and together. See docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymongo
from peyvand_runtime import outbox
from peyvand_runtime.domain import DomainEvent
from peyvand_runtime.ids import new_id
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs
from peyvand_stack.spine_probe import queue_depth

from bench import Figure, Stat, figure, raw
from bench.infra import Context

QUEUE = "evt-customer-customer.created--policy.handle_customer_created"
BROKER_TARGET = 1 / 3
STORE_TARGET = 1 / 2
# extra environment for the relay and worker processes (experiments: settings, PYTHONPATH shims)
EXTRA_ENV: dict[str, str] = {}
PUBLISHED_RE = re.compile(r'^peyvand_outbox_published_total\{producer="customer"\} ([0-9.e+]+)$', re.M)


def sizes(ctx: Context) -> dict[str, int]:
    if ctx.quick:
        return {"msgs": 2000, "many": 2000, "one": 500, "mix": 500, "events": ctx.events}
    return {"msgs": max(ctx.events, 20_000), "many": 10_000, "one": 3000, "mix": min(max(ctx.events, 2000), 5000), "events": ctx.events}


# -- helpers ---------------------------------------------------------------------------------
def _make_stack(ctx: Context, vhost: str, suffix: str, log_dir: Path) -> Stack:
    plan = PortPlan.on_free_ports()
    specs = [s for s in process_specs(plan) if s.name in ("customer-relay", "policy-worker")]
    env = ctx.process_env(vhost, suffix, RELAY_IDLE_SLEEP_SECONDS="0.05", **EXTRA_ENV)
    return Stack(specs, env, plan, log_dir)


def _save_aggregates(collection: Any, count: int) -> float:
    """Write ``count`` new customers through ``outbox.save`` (one insert each); aggregates/s."""
    now = dt.datetime.now(dt.UTC)
    began = time.perf_counter()
    for i in range(count):
        customer_id = new_id("cus")
        fields = raw.customer_document(i, with_id=False)
        del fields["version"]
        snapshot = {
            "customer_id": customer_id,
            "display_name": fields["display_name"],
            "agent_id": fields["agent_id"],
            "branch_code": fields["branch_code"],
            "mobile": fields["mobile"],
            "email": fields["email"],
            "language": "fa",
            "status": "active",
        }
        outbox.save(collection, customer_id, 0, fields, [DomainEvent("customer.created", snapshot)], "customer", now)
    return float(count / (time.perf_counter() - began))


def _wait(predicate: Callable[[], bool], timeout: float, what: str, stack: Stack, poll: float = 0.1) -> float:
    """Poll until ``predicate``; return the perf_counter instant it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.perf_counter()
        for process in stack.processes.values():
            if process.proc is not None and process.proc.poll() is not None and process.proc.returncode not in (0, -15):
                raise RuntimeError(f"{process.name} exited with {process.proc.returncode}:\n{process.log_tail()}")
        time.sleep(poll)
    logs = "\n".join(f"--- {p.name}\n{p.log_tail(15)}" for p in stack.processes.values())
    raise TimeoutError(f"timed out waiting for {what}\n{logs}")


def _relay_published(port: int | None) -> float:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as response:
            match = PUBLISHED_RE.search(response.read().decode())
            return float(match.group(1)) if match else 0.0
    except OSError:
        return 0.0


def _vm_hwm_mb(pid: int | None) -> float:
    """Peak resident set (VmHWM) of a live process, in MB."""
    if pid is None:
        return 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _timeout_for(count: int) -> float:
    return 120 + count / 20


# -- phases ----------------------------------------------------------------------------------
def _baselines(ctx: Context, client: pymongo.MongoClient, n: dict[str, int]) -> dict[str, Stat]:
    pub, con, many, one, cmix, rmix = [], [], [], [], [], []
    for i in range(ctx.repeat):
        vhost = ctx.new_vhost()
        try:
            uri = ctx.amqp_uri(vhost)
            pub.append(raw.publish_confirmed(uri, "bench.raw", n["msgs"], window=500))
            ctx.log(f"raw broker publish (confirms, window 500, 1 KB persistent): run {i + 1}/{ctx.repeat}: {pub[-1]:,.0f} msgs/s ({n['msgs']:,} msgs)")
            con.append(raw.consume(uri, "bench.raw", n["msgs"], prefetch=200, ack_every=100))
            ctx.log(f"raw broker consume (prefetch 200, acks multiple=True per 100): run {i + 1}/{ctx.repeat}: {con[-1]:,.0f} msgs/s")
        finally:
            ctx.drop_vhost(vhost)
        name = f"bench_raw{ctx.new_db_suffix()}"
        db = client[name]
        try:
            many.append(raw.insert_many_rate(db["many"], n["many"], batch=1000))
            ctx.log(f"raw store insert_many (batches of 1,000, ~600 B docs): run {i + 1}/{ctx.repeat}: {many[-1]:,.0f} docs/s")
            one.append(raw.insert_one_rate(db["one"], n["one"]))
            ctx.log(f"raw store insert_one: run {i + 1}/{ctx.repeat}: {one[-1]:,.0f} docs/s")
            cmix.append(raw.consumer_store_mix_rate(db, n["mix"]))
            ctx.log(f"raw store consumer mix (find + upsert + bulk ids): run {i + 1}/{ctx.repeat}: {cmix[-1]:,.0f} events/s")
            rmix.append(raw.relay_store_mix_rate(db["parties"], n["mix"]))
            ctx.log(f"raw store relay mix (page find + 2 bulk updates): run {i + 1}/{ctx.repeat}: {rmix[-1]:,.0f} events/s")
        finally:
            _drop(client, name)
    # relay and consumer share one store server: per event it does both mixes' work
    both = [1 / (1 / c + 1 / r) for c, r in zip(cmix, rmix, strict=True)]
    return {"pub": Stat(pub), "con": Stat(con), "many": Stat(many), "one": Stat(one), "cmix": Stat(cmix), "rmix": Stat(rmix), "both": Stat(both)}


def _drop(client: pymongo.MongoClient, name: str) -> None:
    try:
        client.drop_database(name)
    except pymongo.errors.PyMongoError:
        pass


def _spine_once(ctx: Context, client: pymongo.MongoClient, count: int, i: int) -> dict[str, float]:
    """One repetition: relay alone, consumer alone (one data set), then end to end (another)."""
    out: dict[str, float] = {}
    for phase in ("split", "e2e"):
        vhost, suffix = ctx.new_vhost(), ctx.new_db_suffix()
        uri = ctx.amqp_uri(vhost)
        stack = _make_stack(ctx, vhost, suffix, ctx.tmp / "logs" / f"run{i}-{phase}")
        customer_db, policy_db = client[f"peyvand_customer{suffix}"], client[f"peyvand_policy{suffix}"]
        relay, worker = stack["customer-relay"], stack["policy-worker"]
        refs = policy_db["customer_refs"]
        try:
            rate = _save_aggregates(customer_db["parties"], count)
            out.setdefault("save", 0.0)
            out[f"save_{phase}"] = rate
            ctx.log(f"spine outbox.save ({phase} data set): run {i + 1}/{ctx.repeat}: {rate:,.0f} aggregates/s ({count:,})")
            if phase == "split":
                # declare and bind the worker's queues, then leave them without a consumer
                stack.start("policy-worker")
                worker.stop()
                began = time.perf_counter()
                relay.start()
                ended = _wait(lambda port=relay.spec.metrics_port: _relay_published(port) >= count, _timeout_for(count), "the relay to publish every event", stack)
                out["relay"] = count / (ended - began)
                out["rss_relay_alone"] = _vm_hwm_mb(relay.proc.pid if relay.proc else None)
                relay.stop()
                depth = queue_depth(uri, QUEUE)
                if depth != count:
                    raise RuntimeError(f"relay alone: queue holds {depth}, expected {count}")
                ctx.log(f"spine relay alone (outbox → broker, confirmed and cleared): run {i + 1}/{ctx.repeat}: {out['relay']:,.0f} events/s")
                stack.start("policy-worker")
                ready = time.perf_counter()
                already = refs.estimated_document_count()
                ended = _wait(lambda refs=refs: refs.estimated_document_count() >= count, _timeout_for(count), "the worker to drain its queue", stack)
                out["consumer"] = (count - already) / (ended - ready)
                out["rss_worker_alone"] = _vm_hwm_mb(worker.proc.pid if worker.proc else None)
                ctx.log(f"spine consumer alone (queue → idempotent worker → projection): run {i + 1}/{ctx.repeat}: {out['consumer']:,.0f} events/s")
            else:
                stack.start("policy-worker")
                began = time.perf_counter()
                relay.start()
                ended = _wait(lambda refs=refs: refs.estimated_document_count() >= count, _timeout_for(count), "every event applied", stack)
                out["e2e"] = count / (ended - began)
                out["rss_relay"] = _vm_hwm_mb(relay.proc.pid if relay.proc else None)
                out["rss_worker"] = _vm_hwm_mb(worker.proc.pid if worker.proc else None)
                # applied ids are recorded in bulk just after the handlers ran (then acked)
                applied_events = policy_db["applied_events"]
                _wait(lambda coll=applied_events: coll.estimated_document_count() >= count, 30, "every applied id recorded", stack)
                applied = applied_events.estimated_document_count()
                if applied != count or refs.estimated_document_count() != count:
                    raise RuntimeError(f"end to end: {applied} applied ids, {refs.estimated_document_count()} refs, expected {count}")
                ctx.log(
                    f"spine end to end (relay start → all applied): run {i + 1}/{ctx.repeat}: {out['e2e']:,.0f} events/s; "
                    f"peak RSS relay {out['rss_relay']:.0f} MB, worker {out['rss_worker']:.0f} MB"
                )
        finally:
            for process in (relay, worker):
                process.stop(grace=10)
            ctx.drop_vhost(vhost)
            _drop(client, customer_db.name)
            _drop(client, policy_db.name)
    out.pop("save", None)
    return out


def _bounded(name: str, stat: Stat, unit: str, broker: Figure, store: Figure, note: str) -> list[Figure]:
    """The figure against the broker baseline (target 1/3) and the store baseline (target 1/2);
    the lower baseline is the bound and decides the verdict."""
    store_bound = store.value < broker.value
    vs_broker = figure(f"{name} ÷ {broker.name}", stat, unit, broker, BROKER_TARGET, note=note, applies=not store_bound)
    vs_store = figure(f"{name} ÷ {store.name}", stat, unit, store, STORE_TARGET, note=note, applies=store_bound)
    return [vs_broker, vs_store]


def run(ctx: Context) -> list[Figure]:
    n = sizes(ctx)
    client: pymongo.MongoClient = pymongo.MongoClient(ctx.mongo_uri, tz_aware=True, serverSelectionTimeoutMS=5000)
    try:
        ctx.log(f"spine: baselines ({ctx.repeat} runs each)")
        base = _baselines(ctx, client, n)
        ctx.log(f"spine: relay and worker processes, {n['events']:,} events per run, {ctx.repeat} runs")
        runs = [_spine_once(ctx, client, n["events"], i) for i in range(ctx.repeat)]
    finally:
        client.close()

    def col(key: str) -> Stat:
        return Stat([r[key] for r in runs])

    pub = figure("raw broker publish", base["pub"], "msgs/s", note="pika SelectConnection, async confirms, window 500, 1 KB persistent, durable queue")
    con = figure("raw broker consume", base["con"], "msgs/s", note="pika, prefetch 200, manual acks multiple=True every 100")
    many = figure("raw store insert_many", base["many"], "docs/s", note="batches of 1,000, ~600 B customer-like documents")
    one = figure("raw store insert_one", base["one"], "docs/s", note="one document per call")
    cmix = figure("raw store consumer mix", base["cmix"], "events/s", note="per event: inbox find_one + version-guarded upsert; insert_many of ids per 64 (plain applied_at index)")
    rmix = figure("raw store relay mix", base["rmix"], "events/s", note="per page of 500: find with projection + bulk $pull + bulk flag clear")
    both = figure("raw store spine mix", base["both"], "events/s", note="1 / (1/consumer mix + 1/relay mix): both processes share the store server")
    save = figure("spine outbox.save", Stat([r["save_split"] for r in runs] + [r["save_e2e"] for r in runs]), "aggregates/s", one, STORE_TARGET, note="producer cost: one insert_one per new aggregate, envelope inside")
    figures = [pub, con, many, one, cmix, rmix, both, save]
    figures += _bounded("spine relay alone", col("relay"), "events/s", pub, rmix, "outbox → broker, confirmed and cleared (worker stopped, queue bound)")
    figures += _bounded("spine consumer alone", col("consumer"), "events/s", con, cmix, "full queue → policy-worker → customer_refs (from worker ready)")
    figures += _bounded("spine end to end", col("e2e"), "events/s", pub, both, "relay start → all N in customer_refs (worker already running)")
    figures.append(figure("peak RSS customer-relay", col("rss_relay"), "MB", note="VmHWM at the end of the end-to-end run"))
    figures.append(figure("peak RSS policy-worker", col("rss_worker"), "MB", note="VmHWM at the end of the end-to-end run"))
    ctx.info["spine"] = {"events_per_run": n["events"], "sizes": n}
    return figures
