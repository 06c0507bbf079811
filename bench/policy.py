"""The policy benchmark (issue #4): the renewal job over N policies and issuing policies over gRPC.

- raw store scan: pymongo ``find`` with the job's projection over the same indexed range
  (``term_end_key`` equality per end date, ``status: active``, ``_id`` pages of 1,000) — the
  store's own rate for the job's read side, measured in the same run;
- renewal scan-and-emit: the real ``jobs_main renewal --as-of`` process over N policies
  (default 1,000,000; ``--quick`` 20,000) with ~8 % ending inside the 45-day window, first
  run (every policy in the window gets its notice); the job's own duration (the ``seconds``
  of its summary; process start-up and index checks excluded, reported apart), the emitted
  count and the process's peak RSS (``ru_maxrss`` from ``wait4``); target ≤ 120 s;
- renewal scan only: the same job re-run for the same date (nothing due) — the scan alone,
  repeated to show the rate and memory stay flat; compared with the raw scan;
- issue policy: CreateQuote + IssuePolicy over gRPC against the real ``grpc_main`` process,
  4 concurrent clients (and 16, informational), into the same loaded database; issues/s, the
  median of at least 3 runs of ~10 s each (``ISSUE_RUNS``); target ≥ 300/s; baseline: raw
  ``insert_one`` of policy-sized documents.

Sizes: ``BENCH_POLICY_COUNT`` overrides N (e.g. 250000 when 1M does not fit the time).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from peyvand_devstack.ports import free_ports
from peyvand_policy.adapters.bulk import insert_policies_bulk
from peyvand_policy.adapters.documents import POLICIES, QUOTES, ensure_indexes
from peyvand_policy.adapters.mapping import day_key, policy_fields
from peyvand_policy.domain.lifecycle import HistoryEntry
from peyvand_policy.domain.policy import Policy
from peyvand_policy.domain.products import get_product
from peyvand_policy.domain.quote import Quote
from peyvand_policy.domain.rating import term_end_for
from peyvand_policy.service_layer.renewal_job import SCAN_PROJECTION
from peyvand_runtime import store
from peyvand_runtime.ids import new_id
from peyvand_runtime.settings import ProcessSettings

from bench import Figure, Stat, figure
from bench.infra import IDENTITY_SECRET, Context

AS_OF = dt.date(2026, 11, 22)
WINDOW_DAYS = 45
SHARE_IN_WINDOW = 0.08
RENEWAL_TARGET_SECONDS = 120.0
ISSUE_TARGET = 300.0
ISSUE_RUNS = 3  # issue-rate runs per suite run at least (the figure is their median)
AGENT = "agt_01JAGENTAAAAAAAAAAAAAAAAAA"
TPL_INPUTS = {"vehicle_type": "passenger_car", "usage": "personal", "engine_cc": "1600", "no_claims_years": "3"}


def sizes(ctx: Context) -> dict[str, int]:
    count = int(os.environ.get("BENCH_POLICY_COUNT") or (20_000 if ctx.quick else 1_000_000))
    return {"policies": count, "issues": 300 if ctx.quick else 3000, "clients": 4, "many_clients": 16, "raw_one": 500 if ctx.quick else 3000,
            "raw_mix": 1000 if ctx.quick else 5000}


# -- data -------------------------------------------------------------------------------------
def _templates() -> list[Policy]:
    """Ten policies issued through the real domain (one per no-claims year): rating is the slow
    part of building a policy, and every row of a template rates the same."""
    product = get_product("motor_tpl")
    start = AS_OF - dt.timedelta(days=200)
    out = []
    for ncy in range(10):
        holder = new_id("cus")
        quote = Quote.create(product=product, holder_id=holder, insured_ids=(holder,), agent_id=AGENT, branch_code="1000",
                             inputs={**TPL_INPUTS, "no_claims_years": ncy}, term_start=start,
                             term_end=term_end_for(product, start), today=start)
        policy = Policy.issue(quote, f"1000-1404-{ncy + 1:06d}", start, "system")
        policy.pull_events()
        out.append(policy)
    return out


def generate(count: int, seed: int = 7) -> Iterator[Policy]:
    """``count`` active motor TPL policies, ~8 % ending in [AS_OF, AS_OF + 45], the rest later in the
    year; each is a template with its own ids, number, holder, agent, branch and dates (the stored
    document is exactly what ``Policy.issue`` + ``policy_fields`` give)."""
    rng = random.Random(seed)
    templates = _templates()
    for i in range(count):
        in_range = rng.random() < SHARE_IN_WINDOW
        end = AS_OF + dt.timedelta(days=rng.randint(0, WINDOW_DAYS) if in_range else rng.randint(WINDOW_DAYS + 1, 364))
        start = end - dt.timedelta(days=364)
        holder = new_id("cus")
        branch = f"{1000 + i % 40}"
        template = templates[i % 10]
        yield dataclasses.replace(
            template, id=new_id("pol"), policy_number=f"{branch}-1404-{i + 1:07d}", holder_id=holder, insured_ids=(holder,),
            agent_id=f"agt_{i % 500:026d}", branch_code=branch, inputs=dict(template.inputs), term_start=start, term_end=end,
            quote_id=new_id("qte"), issued_on=start, renewal_notices=set(), endorsements=[],
            history=[HistoryEntry("issued", None, "active", start, "system")],
        )


def _connect(ctx: Context, suffix: str) -> Any:
    return store.connect("policy", ProcessSettings(mongodb_uri=ctx.mongo_uri, mongodb_db_suffix=suffix))


def load(ctx: Context, database: Any, count: int) -> dict[str, float]:
    """Bulk-load ``count`` policies into an empty database, then build the indexes."""
    began = time.perf_counter()
    last = [began, 0]

    def progress(done: int) -> None:
        now = time.perf_counter()
        if done == count or now - last[0] >= 15:
            ctx.log(f"policy load: {done:,}/{count:,} ({(done - last[1]) / (now - last[0]):,.0f} rows/s now, "
                    f"{done / (now - began):,.0f} rows/s overall)")
            last[0], last[1] = now, done

    inserted = insert_policies_bulk(database, generate(count), progress=progress)
    loaded = time.perf_counter()
    ensure_indexes(database)
    indexed = time.perf_counter()
    ctx.log(f"policy load: {inserted:,} policies (+ party links) in {loaded - began:.1f} s, indexes built after in {indexed - loaded:.1f} s")
    return {"inserted": inserted, "load_seconds": loaded - began, "index_seconds": indexed - loaded}


# -- raw baselines ----------------------------------------------------------------------------
def raw_scan_rate(collection: Any, page_size: int = 1000) -> tuple[float, int]:
    """docs/s of pymongo alone walking the job's scan range with the job's query and projection
    (``term_end_key`` equality per end date, ``_id`` order, skip/limit pages, ``status`` checked on the page)."""
    began = time.perf_counter()
    seen = 0
    fields = {**SCAN_PROJECTION, "status": 1}
    for offset in range(WINDOW_DAYS + 1):
        query = {"term_end_key": day_key(AS_OF + dt.timedelta(days=offset))}
        skip = 0
        while True:
            page = list(collection.find(query, fields).sort("_id", 1).skip(skip).limit(page_size))
            skip += len(page)
            seen += sum(1 for doc in page if doc.get("status") == "active")
            if len(page) < page_size:
                break
    return seen / (time.perf_counter() - began), seen


def raw_insert_one_rate(collection: Any, count: int) -> float:
    template = {"_id": "", **policy_fields(_templates()[3]), "version": 1, "outbox": [], "outbox_pending": 0}
    docs = [{**template, "_id": new_id("pol"), "policy_number": f"9999-1404-{i:07d}"} for i in range(count)]
    began = time.perf_counter()
    for doc in docs:
        collection.insert_one(doc)
    return count / (time.perf_counter() - began)


def raw_emit_mix_rate(database: Any, count: int, page: int = 1000) -> float:
    """What the store does per notice, by pymongo alone, on real document shapes taken from the
    job's first run: per page of ``page`` policies, one ``$in`` find (full documents), one
    unordered ``insert_many`` of renewal quotes and one ``bulk_write`` of compare-and-set updates
    (``$set`` + ``$push`` of the envelope). Scratch collections carry the service's indexes."""
    from pymongo import UpdateOne

    sample = database[POLICIES].find_one({"outbox_pending": 1})
    quote = database[QUOTES].find_one({"renewal_of": sample["_id"]}) if sample else None
    if sample is None or quote is None:
        raise RuntimeError("raw emit mix needs a policy and a renewal quote from the job's first run")
    policies, quotes = database["raw_emit_policies"], database["raw_emit_quotes"]
    policies.drop()
    quotes.drop()
    for name, unique in (("policy_number", True), ("term_end_key", False), ("holder_id", False), ("agent_id", False),
                         ("branch_code", False), ("renewal_of", False), ("issue_idempotency_key", False), ("outbox_pending", False)):
        policies.create_index(name, unique=unique)
    quotes.create_index("holder_id")
    quotes.create_index("renewal_of")
    base = {k: v for k, v in sample.items() if k not in ("_id", "outbox", "outbox_pending", "renewal_notices", "renewal_quote_id")}
    ids = [new_id("pol") for _ in range(count)]
    policies.insert_many([{**base, "_id": pid, "policy_number": f"8888-1404-{i:07d}", "version": 1, "outbox": [], "outbox_pending": 0,
                           "renewal_notices": [], "renewal_quote_id": None} for i, pid in enumerate(ids)], ordered=False)
    envelope = sample["outbox"][-1]
    quote_base = {k: v for k, v in quote.items() if k != "_id"}
    now = dt.datetime.now(dt.UTC)
    began = time.perf_counter()
    for start in range(0, count, page):
        chunk = ids[start:start + page]
        loaded = list(policies.find({"_id": {"$in": chunk}}, {"outbox": 0}))
        quote_ids = [new_id("qte") for _ in loaded]
        quotes.insert_many([{**quote_base, "_id": qid, "renewal_of": doc["_id"]} for qid, doc in zip(quote_ids, loaded, strict=True)],
                           ordered=False)
        policies.bulk_write([UpdateOne({"_id": doc["_id"], "version": doc["version"]},
                                       {"$set": {"renewal_notices": sample["renewal_notices"], "renewal_quote_id": qid, "updated_at": now,
                                                 "version": doc["version"] + 1, "outbox_pending": 1},
                                        "$push": {"outbox": {"$each": [envelope]}}})
                             for qid, doc in zip(quote_ids, loaded, strict=True)], ordered=False)
    rate = count / (time.perf_counter() - began)
    policies.drop()
    quotes.drop()
    return rate


# -- the real processes -----------------------------------------------------------------------
def run_job(ctx: Context, env: dict[str, str], log_path: Path) -> dict[str, Any]:
    """One ``jobs_main renewal`` process: its summary, wall time and peak RSS (MB)."""
    began = time.perf_counter()
    with open(log_path, "ab") as err:
        proc = subprocess.Popen([sys.executable, "-m", "peyvand_policy.entrypoints.jobs_main", "renewal", "--as-of", AS_OF.isoformat()],
                                env=env, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        raise RuntimeError(f"renewal job exited with {proc.returncode}; see {log_path}")
    summary = json.loads(out.decode().strip().splitlines()[-1])
    summary["wall_seconds"] = wall
    summary["peak_rss_mb"] = usage.ru_maxrss / 1024  # KB on Linux
    ctx.log(f"renewal job: scanned {summary['scanned']:,}, emitted {summary['emitted']:,}, already sent {summary['already_sent']:,}, "
            f"conflicts {summary['conflicts']}, errors {summary['errors']} in {summary['seconds']:.1f} s "
            f"(process {wall:.1f} s), peak RSS {summary['peak_rss_mb']:.1f} MB; phases {summary.get('phases')}")
    return summary


def reset_notices(database: Any) -> float:
    """Undo a renewal run (marks, outbox, renewal quotes) so the next run emits again."""
    began = time.perf_counter()
    window = {"term_end_key": {"$gte": day_key(AS_OF), "$lte": day_key(AS_OF + dt.timedelta(days=WINDOW_DAYS))}}
    database[POLICIES].update_many(window, {"$set": {"renewal_notices": [], "renewal_quote_id": None, "outbox": [], "outbox_pending": 0}})
    database[QUOTES].delete_many({"renewal_of": {"$exists": True}})
    return time.perf_counter() - began


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"policy-grpc exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("policy-grpc did not open its port")


def issue_rate(ctx: Context, env: dict[str, str], total: int, clients: int, log_path: Path) -> float:
    """CreateQuote + IssuePolicy over gRPC from ``clients`` threads; issued policies/s."""
    import grpc
    from peyvand.policy.v1 import policy_pb2 as pb
    from peyvand.policy.v1 import policy_pb2_grpc
    from peyvand_runtime.grpc_client import PeyvandClientInterceptor, make_channel
    from peyvand_runtime.identity import Caller

    grpc_port, metrics_port = free_ports(2)
    admin = Caller("usr_01JADMIN", "user", "admin")
    with open(log_path, "ab") as err:
        proc = subprocess.Popen([sys.executable, "-m", "peyvand_policy.entrypoints.grpc_main"],
                                env={**env, "GRPC_PORT": str(grpc_port), "METRICS_PORT": str(metrics_port), "LOG_LEVEL": "WARNING"},
                                stdout=err, stderr=err)
    try:
        _wait_port(grpc_port, proc)
        stubs, channels = [], []
        for _ in range(clients):
            channel = make_channel(f"127.0.0.1:{grpc_port}", ["peyvand.policy.v1.PolicyService"],
                                   interceptors=[PeyvandClientInterceptor(IDENTITY_SECRET, lambda: admin, 30.0,
                                                                          clock=lambda: dt.datetime.now(dt.UTC))])
            channels.append(channel)
            stubs.append(policy_pb2_grpc.PolicyServiceStub(channel))
        stubs[0].ListProducts(pb.ListProductsRequest(), timeout=30)  # ready and warm
        per_client = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
        errors: list[BaseException] = []
        barrier = threading.Barrier(clients + 1)

        def client(stub: Any, n: int) -> None:
            barrier.wait()
            try:
                for _ in range(n):
                    quote = stub.CreateQuote(pb.CreateQuoteRequest(product_code="motor_tpl", holder_id=new_id("cus"), agent_id=AGENT,
                                                                   branch_code="1021", inputs=TPL_INPUTS), timeout=30).quote
                    issued = stub.IssuePolicy(pb.IssuePolicyRequest(quote_id=quote.quote_id), timeout=30)
                    assert issued.created
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=client, args=(stub, n)) for stub, n in zip(stubs, per_client, strict=True)]
        for t in threads:
            t.start()
        barrier.wait()
        began = time.perf_counter()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - began
        for channel in channels:
            channel.close()
        if errors:
            raise RuntimeError(f"issue clients failed: {errors[0]!r}")
        del grpc
        return total / seconds
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- the suite --------------------------------------------------------------------------------
def run(ctx: Context) -> list[Figure]:
    size = sizes(ctx)
    count = size["policies"]
    suffix = ctx.new_db_suffix()
    database = _connect(ctx, suffix)
    env = ctx.process_env("unused", suffix, LOG_LEVEL="WARNING", LEASE_SECONDS="120")
    ctx.log(f"policy: loading {count:,} policies (~{SHARE_IN_WINDOW:.0%} ending within {WINDOW_DAYS} days of {AS_OF}), indexes after the load")
    loaded = load(ctx, database, count)
    ctx.info["policy_load"] = {"policies": loaded["inserted"], "load_seconds": round(loaded["load_seconds"], 1),
                               "index_build_seconds": round(loaded["index_seconds"], 1),
                               "rows_per_second": round(loaded["inserted"] / loaded["load_seconds"], 1)}
    figures: list[Figure] = [
        figure("policy bulk load (+ links)", Stat([loaded["inserted"] / loaded["load_seconds"]]), "rows/s",
               note=f"{loaded['inserted']:,} rows in {loaded['load_seconds']:.0f} s + {loaded['index_seconds']:.0f} s index build"),
    ]
    collection = database[POLICIES]

    scans, in_window = [], 0
    for i in range(ctx.repeat):
        rate, in_window = raw_scan_rate(collection)
        scans.append(rate)
        ctx.log(f"raw store scan: run {i + 1}/{ctx.repeat}: {rate:,.0f} docs/s ({in_window:,} docs)")
    raw_scan = figure("raw store scan (job's range + projection)", Stat(scans), "docs/s")
    figures.append(raw_scan)

    logs = ctx.tmp / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    emits: list[dict[str, Any]] = []
    for i in range(ctx.repeat):
        if i:
            ctx.log(f"renewal: reset of the first run's marks and quotes took {reset_notices(database):.1f} s")
        emits.append(run_job(ctx, env, logs / "jobs.log"))
    seconds = Stat([e["seconds"] for e in emits])
    emitted = Stat([float(e["emitted"]) for e in emits])
    job_fig = figure(f"renewal scan-and-emit, {count:,} policies", seconds, "s",
                     note=f"emitted {int(emitted.median):,} of {in_window:,} in window; process wall "
                          f"{statistics_median([e['wall_seconds'] for e in emits]):.1f} s")
    # a time is better when lower: the ratio shown is target ÷ time (≥ 1 means within the 2 minutes)
    job_fig.baseline_name, job_fig.baseline_value = "target seconds", RENEWAL_TARGET_SECONDS
    job_fig.ratio = RENEWAL_TARGET_SECONDS / seconds.median if seconds.median else None
    job_fig.target, job_fig.met = 1.0, seconds.median <= RENEWAL_TARGET_SECONDS
    figures.append(job_fig)
    figures.append(figure("renewal notices emitted", emitted, "notices"))
    mixes = []
    for i in range(ctx.repeat):
        mixes.append(raw_emit_mix_rate(database, size["raw_mix"]))
        ctx.log(f"raw store emit mix: run {i + 1}/{ctx.repeat}: {mixes[-1]:,.0f} notices/s ({size['raw_mix']:,} notices)")
    raw_mix = figure("raw store emit mix ($in find + insert_many + bulk CAS)", Stat(mixes), "notices/s")
    figures.append(raw_mix)
    figures.append(figure("renewal emit rate ÷ raw emit mix", Stat([e["emitted"] / e["seconds"] for e in emits if e["seconds"]]),
                          "notices/s", baseline=raw_mix))
    figures.append(figure("renewal scan-and-emit ÷ raw scan", Stat([e["scanned"] / e["seconds"] for e in emits if e["seconds"]]),
                          "docs/s", baseline=raw_scan))

    scan_only = [run_job(ctx, env, logs / "jobs.log") for _ in range(max(ctx.repeat, 2))]  # at least two: flatness
    if any(s["emitted"] for s in scan_only):
        raise RuntimeError(f"a re-run for the same date emitted again: {[s['emitted'] for s in scan_only]}")
    figures.append(figure("renewal scan only (re-run, 0 due) ÷ raw scan", Stat([s["scanned"] / s["seconds"] for s in scan_only]),
                          "docs/s", baseline=raw_scan))
    figures.append(figure("peak RSS renewal job (scan-and-emit)", Stat([e["peak_rss_mb"] for e in emits]), "MB"))
    figures.append(figure("peak RSS renewal job (scan only)", Stat([s["peak_rss_mb"] for s in scan_only]), "MB"))
    ctx.info["policy_renewal"] = {"policies": count, "in_window": in_window, "first_runs": emits, "scan_only_runs": scan_only}

    raw_one = Stat([raw_insert_one_rate(database["raw_policy_insert_one"], size["raw_one"]) for _ in range(ctx.repeat)])
    raw_one_fig = figure("raw store insert_one (policy-sized)", raw_one, "docs/s")
    figures.append(raw_one_fig)
    issues = []
    # A run of 3,000 issues lasts ~10 s, and on this 2-core machine one such run moves by ±10 %
    # from minute to minute: the figure is the median of at least ISSUE_RUNS runs, whatever --repeat.
    runs = max(ctx.repeat, ISSUE_RUNS)
    for i in range(runs):
        rate = issue_rate(ctx, env, size["issues"], size["clients"], logs / "grpc.log")
        issues.append(rate)
        ctx.log(f"issue policy over gRPC: run {i + 1}/{runs}: {rate:,.0f} issues/s ({size['issues']:,} quote+issue, {size['clients']} clients)")
    issue_fig = figure(f"issue policy (quote+issue, gRPC, {size['clients']} clients)", Stat(issues), "issues/s", baseline=raw_one_fig)
    issue_fig.note = f"target ≥ {ISSUE_TARGET:.0f}/s absolute: {'MET' if issue_fig.value >= ISSUE_TARGET else 'NOT MET'}"
    figures.append(issue_fig)
    target_issue = figure("issue policy vs the 300/s target", Stat(issues), "issues/s",
                          baseline=Figure("target issues/s", ISSUE_TARGET, "issues/s"), target=1.0)
    figures.append(target_issue)
    # More callers at once: the group commit's batches grow with concurrency (informational).
    many = []
    for i in range(runs):
        many.append(issue_rate(ctx, env, size["issues"], size["many_clients"], logs / "grpc.log"))
        ctx.log(f"issue policy over gRPC: run {i + 1}/{runs}: {many[-1]:,.0f} issues/s ({size['many_clients']} clients)")
    figures.append(figure(f"issue policy (quote+issue, gRPC, {size['many_clients']} clients)", Stat(many), "issues/s",
                          baseline=Figure("target issues/s", ISSUE_TARGET, "issues/s"), target=1.0, applies=False))
    return figures


def statistics_median(values: list[float]) -> float:
    return Stat(values).median
