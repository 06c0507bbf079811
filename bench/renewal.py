"""Renewal end to end (issue #10): renewal job scan → ``policy.renewal_due`` → journeys → SMS handed over.

Nothing is pre-loaded behind the services' backs: N customers go in through the customer import
path (their ``customer.created`` events reach the campaign and policy projections through the
relay and the workers), N policies are quoted and issued over gRPC (``policy.issued`` reaches the
campaign's policy facts the same way), every term ending on the same day D. Then the real
``jobs_main renewal --as-of D-30`` runs by hand and the clock runs until the (fake, Kavenegar-style)
SMS provider holds one SMS per renewal notice that consent allows.

Processes: every worker, relay and gRPC server of customer, policy, ticketing and campaign, plus
campaign-jobs (the senders); not the gateway, not policy-jobs (the CLI run is the measured one).
The campaign processes run on a daytime Tehran test clock (``CAMPAIGN_TEST_NOW`` = D-30 09:30,
allowed only with ``PEYVAND_ENV=test``) so quiet hours do not hold the messages until morning;
``SMS_RATE_PER_SECOND`` is raised (the provider's contracted rate is an operator setting).

Baselines in the same run: raw confirmed publish (pika) and raw store ``insert_one`` — each
renewal notice costs at least one confirmed publish and a few single-document writes.
Size: ``BENCH_RENEWAL_COUNT`` (default 10,000; ``--quick`` 600).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any
from urllib.parse import quote

from peyvand_campaign.fakes.sms_provider import FakeSmsProvider
from peyvand_runtime import identity, store
from peyvand_runtime.settings import ProcessSettings
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs
from pymongo import MongoClient

from bench import Figure, Stat, figure, raw
from bench.infra import IDENTITY_SECRET
from bench.settle import wait_settled

TPL_INPUTS = {"vehicle_type": "passenger_car", "usage": "personal", "engine_cc": "1600", "no_claims_years": "3"}
AGENTS = [f"agt_01JRNW{i:020d}" for i in range(50)]
BRANCHES = ["1021", "1022", "3101"]


def sizes(ctx: Any) -> int:
    return int(os.environ.get("BENCH_RENEWAL_COUNT") or (600 if ctx.quick else 10_000))


def import_customers(ctx: Any, settings: ProcessSettings, count: int) -> list[dict[str, str]]:
    from peyvand_customer.adapters.schema import PARTIES, ensure_indexes
    from peyvand_customer.demo.generator import generate_parties
    from peyvand_customer.service_layer import imports
    from peyvand_customer.service_layer.context import Context
    from peyvand_customer.settings import CustomerGrpcSettings

    db = store.connect("customer", settings)
    ensure_indexes(db)
    ctx_ = Context(db, CustomerGrpcSettings(mongodb_uri=settings.mongodb_uri, mongodb_db_suffix=settings.mongodb_db_suffix).id_index_key())
    rows = ((n + 2, row) for n, row in enumerate(generate_parties(count, 1405, AGENTS, BRANCHES, duplicate_rate=0.0, prefix="R")))
    began = time.perf_counter()
    report = imports.import_rows(ctx_, identity.service_caller("bench-renewal"), rows, channel="bench", batch_size=2000)
    ctx.log(f"renewal: {report.rows_created:,} customers imported in {time.perf_counter() - began:.1f} s ({report.rows_rejected} rejected)")
    return [{"customer_id": d["_id"], "agent_id": d["agent_id"], "branch_code": d["branch_code"]} for d in db[PARTIES].find({}, {"agent_id": 1, "branch_code": 1})]


def issue_policies(ctx: Any, grpc_port: int, customers: list[dict[str, str]], clients: int = 4) -> str:
    """Quote and issue one motor TPL policy per customer over gRPC; returns the common term end."""
    from peyvand.policy.v1 import policy_pb2 as pb
    from peyvand.policy.v1 import policy_pb2_grpc
    from peyvand_runtime.grpc_client import PeyvandClientInterceptor, make_channel
    from peyvand_runtime.identity import Caller

    admin = Caller("usr_01JADMIN", "user", "admin")
    ends: set[str] = set()
    errors: list[BaseException] = []
    start = time.perf_counter()

    def client(share: list[dict[str, str]]) -> None:
        channel = make_channel(f"127.0.0.1:{grpc_port}", ["peyvand.policy.v1.PolicyService"],
                               interceptors=[PeyvandClientInterceptor(IDENTITY_SECRET, lambda: admin, 30.0, clock=lambda: dt.datetime.now(dt.UTC))])
        stub = policy_pb2_grpc.PolicyServiceStub(channel)
        try:
            for c in share:
                q = stub.CreateQuote(pb.CreateQuoteRequest(product_code="motor_tpl", holder_id=c["customer_id"], agent_id=c["agent_id"],
                                                           branch_code=c["branch_code"], inputs=TPL_INPUTS), timeout=60).quote
                ends.add(stub.IssuePolicy(pb.IssuePolicyRequest(quote_id=q.quote_id), timeout=60).policy.term_end)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            channel.close()

    threads = [threading.Thread(target=client, args=(customers[k::clients],)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"issuing failed: {errors[0]!r}")
    if len(ends) != 1:
        raise RuntimeError(f"terms end on {len(ends)} different days (the run crossed midnight in Tehran?): {sorted(ends)[:3]}")
    ctx.log(f"renewal: {len(customers):,} policies issued over gRPC in {time.perf_counter() - start:.1f} s; every term ends {next(iter(ends))}")
    return next(iter(ends))


def run_job(env: dict[str, str], as_of: dt.date, log_path: Any) -> dict[str, Any]:
    with open(log_path, "ab") as err:
        done = subprocess.run([sys.executable, "-m", "peyvand_policy.entrypoints.jobs_main", "renewal", "--as-of", as_of.isoformat()],
                              env=env, stdout=subprocess.PIPE, stderr=err, timeout=3600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"renewal job exited with {done.returncode}; see {log_path}")
    return dict(json.loads(done.stdout.decode().strip().splitlines()[-1]))


def run_once(ctx: Any, count: int, i: int) -> dict[str, float]:
    vhost, suffix = ctx.new_vhost(), ctx.new_db_suffix()
    settings = ProcessSettings(mongodb_uri=ctx.mongo_uri, mongodb_db_suffix=suffix)
    sms = FakeSmsProvider(deliver_after=3600).start()
    client: MongoClient[dict[str, Any]] = MongoClient(ctx.mongo_uri)
    plan = PortPlan.on_free_ports()
    log_dir = ctx.tmp / f"logs-{i}"
    stack: Stack | None = None
    try:
        pub = raw.publish_confirmed(ctx.amqp_uri(vhost), "bench-raw-publish", min(count, 20_000))
        ctx.rabbit.management("DELETE", f"queues/{quote(vhost, safe='')}/bench-raw-publish")  # or the run would wait for it to drain
        one = raw.insert_one_rate(client[f"bench_raw{suffix}"]["docs"], min(count, 2000))
        ctx.log(f"renewal: baselines run {i + 1}: raw confirmed publish {pub:,.0f} msgs/s, raw store insert_one {one:,.0f} docs/s")
        # The campaign clock is set once the term end is known; start the rest first.
        base = ctx.process_env(vhost, suffix, LOG_LEVEL="WARNING", SMS_BASE_URL=sms.base_url, SMS_API_KEY=sms.api_key, SMS_RATE_PER_SECOND="100000",
                               JOB_INTERVAL_SECONDS="5", PUSH_BASE_URL="http://127.0.0.1:9", SMTP_HOST="127.0.0.1", SMTP_PORT="9")
        specs = [s for s in process_specs(plan) if s.service != "gateway" and s.name not in ("policy-jobs", "ticketing-jobs", "campaign-jobs")]
        stack = Stack(specs, base, plan, log_dir)
        for kind in ("worker", "grpc", "relay"):
            stack.start(*[s.name for s in specs if s.kind == kind], timeout=120)
        customers = import_customers(ctx, settings, count)
        wait_settled(ctx, vhost, suffix, "renewal: customers", (stack,))
        term_end = dt.date.fromisoformat(issue_policies(ctx, plan.grpc["policy"], customers))
        wait_settled(ctx, vhost, suffix, "renewal: policies", (stack,))
        as_of = term_end - dt.timedelta(days=30)
        daytime = dt.datetime.combine(as_of, dt.time(6, 0), tzinfo=dt.UTC).isoformat()  # 09:30 Tehran
        # Campaign worker and senders on the daytime clock of the run's date (restarted with it).
        stack.stop("campaign-worker")
        jobs_spec = [s for s in process_specs(plan, ("campaign",)) if s.name == "campaign-jobs"]
        clocked = Stack([*[s for s in specs if s.name == "campaign-worker"], *jobs_spec], {**base, "CAMPAIGN_TEST_NOW": daytime}, plan, log_dir)
        clocked.start(timeout=120)
        try:
            began = time.perf_counter()
            summary = run_job(dict(base, PEYVAND_PROCESS="policy-jobs"), as_of, log_dir / "renewal-job.log")
            scanned_at = time.perf_counter()
            ctx.log(f"renewal: job scanned {summary['scanned']:,}, emitted {summary['emitted']:,} in {scanned_at - began:.1f} s (process)")
            deliveries = client[f"peyvand_campaign{suffix}"]["deliveries"]
            last_note = time.monotonic()
            while True:
                planned = deliveries.count_documents({})
                queued = deliveries.count_documents({"status": "queued"})
                if planned >= summary["emitted"] and queued == 0:
                    break
                if time.monotonic() - last_note > 15:
                    ctx.log(f"renewal: {time.perf_counter() - began:.0f} s: {planned:,} deliveries planned, {queued:,} queued, {len(sms.messages):,} SMS at the provider")
                    last_note = time.monotonic()
                running = [p for p in stack.processes.values() if p.name != "campaign-worker"]  # replaced by the clocked one
                for p in [*running, *clocked.processes.values()]:
                    if p.proc is not None and p.proc.poll() is not None:
                        raise RuntimeError(f"{p.name} exited:\n{p.log_tail()}")
                if time.perf_counter() - began > 7200:
                    raise TimeoutError("deliveries did not finish in 2 h")
                time.sleep(0.5)
            done_at = time.perf_counter()
            sms_deliveries = deliveries.count_documents({"channel": "sms", "status": {"$in": ["sent", "delivered"]}})
            skipped = deliveries.count_documents({"status": "skipped"})
            failed = deliveries.count_documents({"status": "failed"})
            ctx.log(f"renewal: {len(sms.messages):,} SMS at the provider, {sms_deliveries:,} SMS deliveries sent, {skipped:,} skipped (consent), "
                    f"{failed:,} failed, in {done_at - began:.1f} s from the job's start")
            if len(sms.messages) != sms_deliveries or summary["emitted"] != count:
                raise RuntimeError(f"{len(sms.messages)} SMS for {sms_deliveries} sent SMS deliveries; {summary['emitted']} notices for {count} policies")
            return {"publish": pub, "insert_one": one, "scan_seconds": scanned_at - began, "end_to_end_seconds": done_at - began,
                    "messages": float(len(sms.messages)), "rate": len(sms.messages) / (done_at - began)}
        finally:
            clocked.stop()
    finally:
        if stack is not None:
            stack.stop()
        sms.stop()
        client.close()
        ctx.drop_vhost(vhost)


def run(ctx: Any) -> list[Figure]:
    count = sizes(ctx)
    ctx.log(f"renewal: {count:,} customers and policies per run, {ctx.repeat} run(s)")
    runs = [run_once(ctx, count, i) for i in range(ctx.repeat)]

    def col(key: str) -> Stat:
        return Stat([r[key] for r in runs])

    publish = figure("raw broker publish (confirmed)", col("publish"), "msgs/s")
    insert_one = figure("raw store insert_one", col("insert_one"), "docs/s")
    ctx.info["renewal"] = {"policies_per_run": count}
    return [
        publish, insert_one,
        figure("renewal job scan + emit (process)", col("scan_seconds"), "s"),
        figure("renewal end to end: job start → last SMS handed over", col("end_to_end_seconds"), "s"),
        figure("renewal end to end ÷ raw broker publish", col("rate"), "SMS/s", publish),
        figure("renewal end to end ÷ raw store insert_one", col("rate"), "SMS/s", insert_one),
    ]
