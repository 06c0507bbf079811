"""The campaign benchmark (issue #7): N ``policy.renewal_due`` events → SMS handed to the sender.

Target: 80,000 events to 80,000 SMS at the (fake Kavenegar) provider in ≤ 2 min on this machine,
with consent, caps and quiet hours applied; the raw broker publish rate measured in the same run
is printed beside it.

Set-up (stated, because it is not the production path):
- the customer and policy projections are PRE-LOADED: N profiles (consent mix below), N
  ``policy_facts`` at version 2 and 200 agents are bulk-inserted into the campaign database
  directly (``insert_many``), as if ``customer.created`` / ``policy.issued`` /
  ``org.agent_changed`` had been consumed earlier; the measured path starts at the broker;
  the events are version 3 of those version-2 facts and bring only the renewal quote as new,
  so the worker carries the quote on each delivery and leaves the fact write out (ADR 0013; a
  fact with a version gap or another changed field would be written);
- consent mix: 85 % no explicit consent (service SMS allowed by default), 12 % explicit grants
  (service + marketing SMS), 3 % revoked service SMS — those get a *skipped* delivery and no SMS,
  so the expected SMS count is N minus them (checked: none of them reaches the provider);
- quiet hours: the worker and jobs processes run on a daytime Tehran clock (``CAMPAIGN_TEST_NOW``
  = 09:30 Tehran), which the processes accept only with ``PEYVAND_ENV=test`` — the bench sets it;
  the quiet-hours rule is still evaluated for every message (at queue and at send time);
- renewal messages are service messages: the weekly marketing cap does not apply to them (it is
  evaluated for marketing only, as in production); consent is checked at queue and send time;
- ``SMS_RATE_PER_SECOND`` is raised to 100,000 (the provider's contracted rate is an operator
  setting; the default 50/s would make the figure a rate-limit reading);
- processes: ``campaign-worker`` (renewal_due in batches of up to 500; its shipped default
  ``CONSUMER_PREFETCH`` of 1000 keeps the next batch buffered while one is written — the bench no
  longer sets it; ``BENCH_CAMPAIGN_PREFETCH`` overrides)
  and ``campaign-jobs`` (4 sender threads, claims of 100, SMS handed over with Kavenegar-style
  ``sendarray`` calls of up to 100), the fake SMS provider in this process (a real HTTP server);
  the relay is not running (the ``campaign.message_sent`` envelopes stay in the outbox and do not
  load the store further).

Timing: from the first ``basic_publish`` to the moment the provider holds all expected SMS. The
events are published from a thread with pipelined confirms (≤ 500 unconfirmed, as a relay does)
while the pipeline runs. The raw baseline: pika, pipelined publisher confirms, 1 KB persistent
messages to a durable queue.
``BENCH_CAMPAIGN_COUNT`` overrides N (default 80,000; ``--quick`` 3,000). When N < 80,000 the
80,000 figure is an EXTRAPOLATION at the measured rate and says so.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time
from pathlib import Path
from typing import Any

import pika
from peyvand_campaign.adapters import catalogue_repo
from peyvand_campaign.adapters.collections import AGENTS, DELIVERIES, POLICY_FACTS, PROFILES, ensure_indexes
from peyvand_campaign.domain.consent import effective_consents
from peyvand_campaign.domain.profiles import segment_profile
from peyvand_campaign.fakes.sms_provider import FakeSmsProvider
from peyvand_runtime import store
from peyvand_runtime.envelope import Envelope
from peyvand_runtime.ids import new_id
from peyvand_runtime.settings import ProcessSettings
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs

from bench import Figure, Stat, campaign_raw, figure, raw
from bench.infra import Context

TARGET_EVENTS = 80_000
TARGET_SECONDS = 120.0
# 09:30 Tehran on 10 June 2026: outside SMS quiet hours (21:00–09:00) for the whole run.
DAYTIME = "2026-06-10T06:00:00+00:00"
TODAY = dt.date(2026, 6, 10)
TERM_END = "2026-07-10"
AGENT_COUNT = 200
RAW_MIX_EVENTS = 3_000  # size of the store baseline's own data set (a second 80k pre-load would double the set-up)
SHARE_GRANTED, SHARE_REVOKED = 0.12, 0.03


def sizes(ctx: Context) -> int:
    return int(os.environ.get("BENCH_CAMPAIGN_COUNT") or (3000 if ctx.quick else TARGET_EVENTS))


def preload(db: Any, count: int, seed: int = 11) -> tuple[list[tuple[str, str, str]], int]:
    """Bulk-insert the projections; returns (customer, policy, agent) triples and how many may get an SMS."""
    rng = random.Random(seed)
    ensure_indexes(db)
    catalogue_repo.seed_builtin_templates(db)
    db[AGENTS].insert_many([{"_id": f"agt_{i:026d}", "version": 1, "display_name": f"کارشناس {i}", "mobile": f"+98935{i:07d}",
                             "branch_code": f"{1000 + i % 40}"} for i in range(AGENT_COUNT)])
    rows, allowed, profiles, facts = [], 0, [], []
    for i in range(count):
        customer_id, policy_id, agent_id = new_id("cus"), new_id("pol"), f"agt_{i % AGENT_COUNT:026d}"
        draw = rng.random()
        if draw < SHARE_REVOKED:
            consents = [{"channel": "sms", "purpose": "service", "granted": False}]
        elif draw < SHARE_REVOKED + SHARE_GRANTED:
            consents = [{"channel": "sms", "purpose": "service", "granted": True}, {"channel": "sms", "purpose": "marketing", "granted": True}]
        else:
            consents = []
        allowed += 0 if draw < SHARE_REVOKED else 1
        customer = {"customer_number": f"C-{i:07d}", "kind": "person", "display_name": f"مشتری {i}", "first_name": "مشتری",
                    "last_name": str(i), "roles": ["policyholder"], "agent_id": agent_id, "branch_code": f"{1000 + i % 40}",
                    "mobile": f"+98912{i:07d}", "email": f"c{i}@example.ir", "city": "تهران", "province": "تهران",
                    "preferred_channel": "sms", "language": "fa", "consents": consents, "tags": [], "status": "active"}
        fact = {"policy_number": f"{1000 + i % 40}-1404-{i:07d}", "product_code": "MOTOR_TPL", "product_line": "motor",
                "holder_id": customer_id, "agent_id": agent_id, "branch_code": customer["branch_code"], "term_start": "2025-07-11",
                "term_end": TERM_END, "premium": 38_000_000, "status": "active"}
        derived = segment_profile(customer, [fact], TODAY, tags=[])
        derived.pop("customer_id", None)
        profiles.append({"_id": customer_id, "version": 1, **customer, **derived, **effective_consents(consents), "push_tokens": []})
        facts.append({"_id": policy_id, "version": 2, **fact})
        rows.append((customer_id, policy_id, agent_id))
        if len(profiles) >= 2000:
            db[PROFILES].insert_many(profiles, ordered=False)
            db[POLICY_FACTS].insert_many(facts, ordered=False)
            profiles, facts = [], []
    if profiles:
        db[PROFILES].insert_many(profiles, ordered=False)
        db[POLICY_FACTS].insert_many(facts, ordered=False)
    return rows, allowed


def envelopes(rows: list[tuple[str, str, str]]) -> list[bytes]:
    out = []
    for i, (customer_id, policy_id, agent_id) in enumerate(rows):
        payload = {"policy_id": policy_id, "policy_number": f"{1000 + i % 40}-1404-{i:07d}", "holder_id": customer_id,
                   "agent_id": agent_id, "branch_code": f"{1000 + i % 40}", "product_code": "MOTOR_TPL", "term_end": TERM_END,
                   "days_before_expiry": 30, "renewal_quote_id": new_id("qte"), "renewal_premium": 41_000_000,
                   "renewal_total_premium": 44_690_000, "expires_at": "2026-07-10T20:30:00Z", "aggregate_version": 3}
        out.append(Envelope(new_id("evt"), "policy.renewal_due", 1, "2026-06-10T06:00:00.000Z", "policy", "req_bench", payload).to_json().encode())
    return out


def _stack(ctx: Context, vhost: str, suffix: str, sms: FakeSmsProvider, log_dir: Path) -> Stack:
    plan = PortPlan.on_free_ports()
    specs = [s for s in process_specs(plan, ("campaign",)) if s.name in ("campaign-worker", "campaign-jobs")]
    env = ctx.process_env(vhost, suffix, LOG_LEVEL="WARNING", SMS_BASE_URL=sms.base_url, SMS_API_KEY=sms.api_key,
                          SMS_RATE_PER_SECOND="100000", CAMPAIGN_TEST_NOW=DAYTIME, JOB_INTERVAL_SECONDS="5",
                          SENDER_IDLE_SLEEP_SECONDS="0.05", REPORT_POLL_SECONDS="3600")
    if os.environ.get("BENCH_CAMPAIGN_PREFETCH"):  # else the worker's shipped default (CampaignWorkerSettings)
        env["CONSUMER_PREFETCH"] = os.environ["BENCH_CAMPAIGN_PREFETCH"]
    return Stack(specs, env, plan, log_dir)


def publish_events(amqp_uri: str, bodies: list[bytes], window: int = 500) -> dict[str, Any]:
    """Publish to ``policy.events`` / ``policy.renewal_due`` with pipelined confirms (≤ ``window``
    unconfirmed), as a relay does; returns first-publish and last-confirm instants."""

    def declare(channel: Any, then: Any) -> None:
        channel.exchange_declare("policy.events", exchange_type="topic", durable=True, callback=then)

    return raw.pipelined_publish(amqp_uri, bodies, "policy.events", "policy.renewal_due", declare, window=window,
                                 content_type="application/json")


def _wait(predicate: Any, timeout: float, what: str, stack: Stack, progress: Any = None) -> float:
    deadline, next_log = time.monotonic() + timeout, time.monotonic() + 15
    while time.monotonic() < deadline:
        if predicate():
            return time.perf_counter()
        for process in stack.processes.values():
            if process.proc is not None and process.proc.poll() is not None:
                raise RuntimeError(f"{process.name} exited with {process.proc.returncode}:\n{process.log_tail()}")
        if progress and time.monotonic() >= next_log:
            progress()
            next_log = time.monotonic() + 15
        time.sleep(0.2)
    logs = "\n".join(f"--- {p.name}\n{p.log_tail(15)}" for p in stack.processes.values())
    raise TimeoutError(f"timed out waiting for {what}\n{logs}")


def _raw_store_mix(ctx: Context, count: int, i: int) -> float:
    """The store baseline (bench/campaign_raw.py) on its own database of ``count`` pre-loaded rows."""
    # A plain client: store.connect would re-register the "campaign" alias and close the run's client.
    client = store.client_for(ctx.mongo_uri)
    db = client[ProcessSettings(mongodb_db_suffix=ctx.new_db_suffix()).database_name("campaign")]
    try:
        rows, _ = preload(db, count)
        rate = campaign_raw.store_mix(db, rows)
        ctx.log(f"raw store renewal mix: run {i + 1}: {rate:,.0f} notices/s ({count:,} notices, pymongo alone, serial)")
        return rate
    finally:
        client.drop_database(db.name)
        client.close()


def run_once(ctx: Context, count: int, i: int) -> dict[str, float]:
    mix = _raw_store_mix(ctx, min(count, RAW_MIX_EVENTS), i)
    vhost, suffix = ctx.new_vhost(), ctx.new_db_suffix()
    db = store.connect("campaign", ProcessSettings(mongodb_uri=ctx.mongo_uri, mongodb_db_suffix=suffix))
    sms = FakeSmsProvider(deliver_after=3600).start()
    stack = None
    try:
        began = time.perf_counter()
        rows, expected = preload(db, count)
        ctx.log(f"campaign: pre-loaded {count:,} profiles + policy facts + {AGENT_COUNT} agents in {time.perf_counter() - began:.1f} s "
                f"({expected:,} may get an SMS, {count - expected:,} revoked service SMS)")
        bodies = envelopes(rows)
        amqp = ctx.amqp_uri(vhost)
        pub = raw.publish_confirmed(amqp, "bench-raw-publish", count)
        ctx.log(f"raw broker publish: run {i + 1}: {pub:,.0f} msgs/s ({count:,} × 1 KB, confirms)")
        connection = pika.BlockingConnection(pika.URLParameters(amqp))
        channel = connection.channel()
        channel.queue_delete("bench-raw-publish")
        channel.exchange_declare("policy.events", exchange_type="topic", durable=True)
        stack = _stack(ctx, vhost, suffix, sms, ctx.tmp / f"logs-{i}")
        stack.start("campaign-worker", "campaign-jobs", timeout=120)
        connection.close()
        published: dict[str, Any] = {}

        def publisher() -> None:
            try:
                published.update(publish_events(amqp, bodies))
            except Exception as exc:  # reported by the main thread
                published["error"] = exc

        thread = threading.Thread(target=publisher, name="bench-publisher", daemon=True)
        started = time.perf_counter()
        thread.start()

        def progress() -> None:
            elapsed = time.perf_counter() - started
            planned = db[DELIVERIES].estimated_document_count()
            ctx.log(f"campaign: {elapsed:6.0f} s: {planned:,} deliveries planned, {len(sms.messages):,} SMS at the provider "
                    f"({len(sms.messages) / elapsed:,.0f} SMS/s so far)")

        thread.join(4 * 3600)
        if published.get("error") or not published.get("ended"):
            raise RuntimeError(f"publishing failed: {published.get('error')}")
        started = published["began"]  # the clock starts at the first publish
        publish_seconds = published["ended"] - started
        ctx.log(f"campaign: {count:,} renewal_due published (pipelined confirms) in {publish_seconds:.1f} s = {count / publish_seconds:,.0f} msgs/s")
        planned_at = _wait(lambda: db[DELIVERIES].estimated_document_count() >= count, 4 * 3600, "every delivery planned", stack, progress)
        done_at = _wait(lambda: len(sms.messages) >= expected, 4 * 3600, "every SMS at the provider", stack, progress)
        seconds = done_at - started
        time.sleep(1)
        revoked = {f"09{m[4:]}" for m in (doc["mobile"] for doc in db[PROFILES].find({"consent_sms_service": False}, {"mobile": 1}))}
        received = {m.receptor for m in sms.messages}
        if len(sms.messages) != expected or len(received) != expected or revoked & received:
            raise RuntimeError(f"{len(sms.messages)} SMS to {len(received)} numbers, expected {expected}; "
                               f"{len(revoked & received)} to customers who revoked service SMS")
        skipped = db[DELIVERIES].count_documents({"status": "skipped"})
        ctx.log(f"campaign: run {i + 1}: {expected:,} SMS at the provider {seconds:.1f} s after the first publish = "
                f"{expected / seconds:,.0f} SMS/s end to end; planning (worker) {count / (planned_at - started):,.0f} events/s; "
                f"{skipped:,} skipped (consent); provider requests {sms.requests:,} ({sms.array_requests:,} sendarray)")
        return {"seconds": seconds, "sms_rate": expected / seconds, "plan_rate": count / (planned_at - started), "raw_pub": pub,
                "raw_mix": mix, "published_seconds": publish_seconds, "publish_rate": count / publish_seconds, "expected": expected, "skipped": skipped,
                "provider_requests": sms.requests}
    finally:
        if stack is not None:
            for process in stack.processes.values():
                process.stop(grace=10)
        sms.stop()
        ctx.drop_vhost(vhost)
        db.client.drop_database(db.name)


def run(ctx: Context) -> list[Figure]:
    count = sizes(ctx)
    ctx.log(f"campaign: {count:,} policy.renewal_due events per run, {ctx.repeat} run(s)")
    runs = [run_once(ctx, count, i) for i in range(ctx.repeat)]

    def col(key: str) -> Stat:
        return Stat([r[key] for r in runs])

    pub = figure("raw broker publish", col("raw_pub"), "msgs/s", note="pika SelectConnection, async confirms, window 500, 1 KB persistent, durable queue; same run")
    mix = figure("raw store renewal mix (pymongo alone, serial)", col("raw_mix"), "notices/s",
                 note="bench/campaign_raw.py: the worker's and the sender's store calls per notice, same documents and indexes")
    e2e = figure(f"renewal_due → SMS at provider ({count:,} events)", col("sms_rate"), "SMS/s", baseline=pub,
                 note="first publish → all expected SMS received by the fake provider; projections pre-loaded; daytime test clock")
    e2e_store = figure(f"renewal_due → SMS ÷ raw store mix ({count:,} events)", col("sms_rate"), "SMS/s", baseline=mix)
    plan = figure("worker planning (renewal_due → delivery)", col("plan_rate"), "events/s", baseline=pub)
    events_pub = figure("renewal_due events published (during the run)", col("publish_rate"), "msgs/s", baseline=pub,
                        note="the bench's own publisher, pipelined confirms, while worker and senders run")
    seconds = figure(f"{count:,} events → SMS", col("seconds"), "s")
    projected = Stat([TARGET_EVENTS / r["sms_rate"] for r in runs])
    label = "80,000 events → SMS" + ("" if count >= TARGET_EVENTS else " (EXTRAPOLATED at the measured rate)")
    target = figure(label, projected, "s", note=f"target ≤ {TARGET_SECONDS:.0f} s")
    target.baseline_name, target.baseline_value = "target seconds", TARGET_SECONDS
    target.ratio = TARGET_SECONDS / projected.median if projected.median else None
    target.target, target.met = 1.0, projected.median <= TARGET_SECONDS
    ctx.info["campaign"] = {"events": count, "runs": runs, "extrapolated": count < TARGET_EVENTS}
    return [pub, events_pub, mix, e2e, e2e_store, plan, seconds, target]
