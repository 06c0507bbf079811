"""The customer benchmark (issue #3): import N parties, then search and read them over real gRPC.

- data: ``peyvand_customer.demo.generator.generate_parties`` (deterministic by seed, streamed:
  rows go straight to a CSV file, a small reservoir of them is kept for the queries);
- import: the real CLI (``python -m peyvand_customer.entrypoints.cli import FILE --initial-load``)
  into an empty database, rows/s with its own progress lines; target: 1M rows in ≤ 10 min
  (1,667 rows/s), against raw ``insert_many`` of the same documents;
- search: a real ``customer-grpc`` process (``grpc_main``), a few concurrent signed clients;
  name prefixes of 1-3 letters, whole last names, "first last…" prefixes, Arabic-letter
  variants, national ids (also in Persian digits), mobiles in four forms, emails; p50/p95/p99;
  target p95 ≤ 50 ms; beside raw indexed finds (slot prefix range + limit, blind-index equality);
- reads: GetCustomer and BatchGetCustomers with 1/4/8 clients, beside raw ``find_one`` by ``_id``
  with as many threads; target GetCustomer ≥ 1,000/s. Client threads share one Python process
  (and its GIL) with the bench itself, on the same 2 cores as the server and the store, so
  GetCustomer is also measured with 8 clients spread over 4 client processes (2 threads each,
  started and connected before the clock starts): the service's real callers (gateway, other
  services) are separate processes. The verdict is taken on that figure; the thread figures stay
  beside it;
- the duplicate batch scan (CLI ``scan-duplicates``) over the whole book.

Sizes: ``BENCH_PARTIES`` overrides N (default 1,000,000; ``--quick`` 20,000).
``BENCH_CUSTOMER_SCAN=0`` skips the duplicate scan.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peyvand_devstack.ports import free_ports
from peyvand_runtime import store
from peyvand_runtime.settings import ProcessSettings

from bench import Figure, Stat, figure
from bench.infra import IDENTITY_SECRET, Context

SEED = 3
IMPORT_TARGET_SECONDS_PER_MILLION = 600.0
SEARCH_P95_TARGET_MS = 50.0
GET_TARGET = 1000.0
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
SERVICE = "peyvand.customer.v1.CustomerService"


def sizes(ctx: Context) -> dict[str, int]:
    parties = int(os.environ.get("BENCH_PARTIES") or (20_000 if ctx.quick else 1_000_000))
    return {"parties": parties, "samples": 100 if ctx.quick else 300, "clients": 4, "gets": 1000 if ctx.quick else 4000,
            "raw_insert": 10_000 if ctx.quick else 30_000}


# -- data -------------------------------------------------------------------------------------
def write_csv(ctx: Context, path: Path, count: int, keep: int = 3000) -> list[dict[str, str]]:
    """Generate ``count`` rows into ``path`` (streamed) and return a reservoir sample of them."""
    from peyvand_customer.demo.generator import generate_parties
    from peyvand_customer.domain.csv_rows import EXPORT_COLUMNS

    agents = [f"agt_{i:026d}" for i in range(400)]
    branches = [str(1000 + i) for i in range(40)]
    rng = random.Random(SEED)
    sample: list[dict[str, str]] = []
    began = last = time.perf_counter()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, EXPORT_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for index, row in enumerate(generate_parties(count, SEED, agents, branches)):
            writer.writerow(row)
            if len(sample) < keep:
                sample.append(row)
            elif (j := int(rng.random() * (index + 1))) < keep:
                sample[j] = row
            now = time.perf_counter()
            if now - last >= 15:
                ctx.log(f"customer data: {index + 1:,}/{count:,} rows written ({(index + 1) / (now - began):,.0f} rows/s)")
                last = now
    ctx.log(f"customer data: {count:,} rows in {time.perf_counter() - began:.1f} s ({path.stat().st_size / 1e6:,.0f} MB CSV)")
    return [r for r in sample if not r.get("_duplicate_of")]


def run_import(ctx: Context, env: dict[str, str], path: Path, count: int) -> dict[str, Any]:
    """The real CLI import (``--initial-load``); its progress lines are shown as they come."""
    report = ctx.tmp / "customer-rejected.csv"
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "peyvand_customer.entrypoints.cli", "import", str(path), "--report", str(report), "--initial-load",
         "--batch", "2000", "--progress-every", str(max(count // 20, 2000))],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    done = ""
    for line in proc.stderr:
        line = line.strip()
        if line.startswith(("rows=", "done ")):
            ctx.log(f"customer import: {line}")
            done = line if line.startswith("done ") else done
    if proc.wait() != 0 or not done:
        raise RuntimeError(f"customer import exited with {proc.returncode}")
    wall = time.perf_counter() - began
    values = dict(re.findall(r"(\w+)=([\w.]+)", done))
    return {"wall": wall, "rows": int(values["rows"]), "created": int(values["created"]), "rejected": int(values["rejected"]),
            "seconds": float(values["seconds"]), "index_seconds": float(values.get("index_build_seconds", 0))}


# -- raw baselines ----------------------------------------------------------------------------
def raw_insert_many_rate(database: Any, count: int) -> float:
    """pymongo ``insert_many`` (batches of 2,000) of stored party documents, copied with new keys,
    into a collection with the indexes an initial load keeps (``_id`` + 3)."""
    source = list(database["parties"].find({}, {"outbox": 0}).limit(2000))
    target = database["raw_parties"]
    target.drop()
    for name, unique in (("customer_number", True), ("official_id_key", True), ("outbox_pending", False)):
        target.create_index(name, unique=unique)
    began, done = time.perf_counter(), 0
    while done < count:
        batch = []
        for doc in source:
            n = done + len(batch)
            batch.append({**doc, "_id": f"raw_{n:010d}", "customer_number": f"R{n:09d}", "official_id_key": f"raw:{n}"})
        target.insert_many(batch, ordered=False)
        done += len(batch)
    rate = done / (time.perf_counter() - began)
    target.drop()
    return rate


def threaded_rate(clients: int, total: int, call: Callable[[int, int], None]) -> float:
    """``total`` calls split over ``clients`` threads (``call(client, i)``); calls/s."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients + 1)

    def worker(c: int) -> None:
        barrier.wait()
        try:
            for i in range(c, total, clients):
                call(c, i)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"a client failed: {errors[0]!r}")
    return total / (time.perf_counter() - began)


def latencies(clients: int, items: list[Any], call: Callable[[int, Any], bool]) -> tuple[list[float], int]:
    """Per-call seconds of ``call(client, item)`` over ``clients`` threads, and how many found something."""
    times: list[float] = []
    found = [0]
    lock = threading.Lock()

    def one(c: int, i: int) -> None:
        began = time.perf_counter()
        hit = call(c, items[i])
        spent = time.perf_counter() - began
        with lock:
            times.append(spent)
            found[0] += bool(hit)

    threaded_rate(clients, len(items), one)
    return times, found[0]


def _get_client() -> None:
    """One client process (``python -c``): reads its job as JSON on stdin, builds its signed
    channels and warms them, says ``ready``, waits for ``go``, makes its GetCustomer calls
    over its threads, and says ``done`` (or ``failed …``)."""
    import json

    from peyvand.customer.v1 import customer_pb2 as pb
    from peyvand.customer.v1 import customer_pb2_grpc
    from peyvand_runtime.grpc_client import PeyvandClientInterceptor, make_channel
    from peyvand_runtime.identity import Caller

    job = json.loads(sys.stdin.readline())
    ids, threads = job["ids"], job["threads"]
    admin = Caller("usr_01JBENCHADMIN", "user", "admin")
    channels = [make_channel(f"127.0.0.1:{job['port']}", [SERVICE], interceptors=[
        PeyvandClientInterceptor(IDENTITY_SECRET, lambda: admin, 30.0, clock=lambda: dt.datetime.now(dt.UTC))]) for _ in range(threads)]
    stubs = [customer_pb2_grpc.CustomerServiceStub(c) for c in channels]
    for stub in stubs:
        stub.GetCustomer(pb.GetCustomerRequest(customer_id=ids[0]), timeout=30)  # connected and warm
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        threaded_rate(threads, job["calls"], lambda c, i: stubs[c].GetCustomer(pb.GetCustomerRequest(customer_id=ids[i % len(ids)]), timeout=30))
        print("done", flush=True)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        print(f"failed {exc!r}"[:500], flush=True)
    finally:
        for channel in channels:
            channel.close()


def process_get_rate(port: int, ids: list[str], processes: int, threads: int, total: int) -> float:
    """GetCustomer calls/s from ``processes`` client processes of ``threads`` threads each; the
    clock runs from the go signal (all connected and warm) until the last process is done."""
    import json

    share = total // processes
    root = str(Path(__file__).resolve().parent.parent)
    code = f"import sys; sys.path.insert(0, {root!r}); from bench.customer import _get_client; _get_client()"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    try:
        for p, proc in enumerate(procs):
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({"port": port, "ids": ids[p::processes] or ids, "calls": share, "threads": threads}) + "\n")
            proc.stdin.flush()
        for proc in procs:
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError("a client process did not start")
        began = time.perf_counter()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        answers = [proc.stdout.readline().strip() for proc in procs if proc.stdout is not None]
        elapsed = time.perf_counter() - began
    finally:
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    failed = [a for a in answers if a != "done"]
    if failed:
        raise RuntimeError(f"a client process failed: {failed[0]}")
    return share * processes / elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else 0.0


# -- the gRPC process -------------------------------------------------------------------------
class CustomerProcess:
    """A real ``customer-grpc`` process and ``clients`` signed stubs (one channel each)."""

    def __init__(self, env: dict[str, str], clients: int, log_path: Path) -> None:
        from peyvand.customer.v1 import customer_pb2_grpc
        from peyvand_runtime.grpc_client import PeyvandClientInterceptor, make_channel
        from peyvand_runtime.identity import Caller

        port, metrics = free_ports(2)
        self.port = port
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "peyvand_customer.entrypoints.grpc_main"],
                                         env={**env, "GRPC_PORT": str(port), "METRICS_PORT": str(metrics)}, stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"customer-grpc exited with {self.proc.returncode}; see {log_path}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("customer-grpc did not open its port") from None
                time.sleep(0.2)
        admin = Caller("usr_01JBENCHADMIN", "user", "admin")
        self.channels = [make_channel(f"127.0.0.1:{port}", [SERVICE], interceptors=[
            PeyvandClientInterceptor(IDENTITY_SECRET, lambda: admin, 30.0, clock=lambda: dt.datetime.now(dt.UTC))]) for _ in range(clients)]
        self.stubs = [customer_pb2_grpc.CustomerServiceStub(c) for c in self.channels]

    def close(self) -> None:
        for channel in self.channels:
            channel.close()
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def search_cases(sample: list[dict[str, str]], n: int) -> dict[str, list[str]]:
    from peyvand_customer.domain.identifiers import normalize_mobile

    persons = [r for r in sample if r["kind"] == "person"][:n]
    nids = [r["national_id"] for r in persons if r["national_id"]][:n]
    mobiles = []
    for r in sample[:n]:
        try:
            mobiles.append(normalize_mobile(r["mobile"])[-10:])
        except ValueError:
            pass
    arabic = str.maketrans({"ی": "\u064a", "ک": "\u0643"})
    return {
        "name prefix, 1 letter": [r["last_name"][:1] for r in persons],
        "name prefix, 2 letters": [r["last_name"][:2] for r in persons],
        "name prefix, 3 letters": [r["last_name"][:3] for r in persons],
        "name, whole last name": [r["last_name"] for r in persons],
        "name, first + 3 letters of last": [f"{r['first_name']} {r['last_name'][:3]}" for r in persons],
        "name, Arabic ي/ك + ZWNJ as space": [f"{r['first_name']} {r['last_name']}".translate(arabic).replace("\u200c", " ") for r in persons],
        "national id": nids,
        "national id, Persian digits": [v.translate(PERSIAN) for v in nids],
        "mobile 09…": ["0" + m for m in mobiles],
        "mobile +98…": ["+98" + m for m in mobiles],
        "mobile 98… spaced": [f"98 {m[:3]} {m[3:6]} {m[6:]}" for m in mobiles],
        "mobile, Persian digits": [("0" + m).translate(PERSIAN) for m in mobiles],
        "email": [r["email"] for r in sample if r["email"]][:n],
    }


def _lower_is_better(name: str, values: list[float], unit: str, target: float, target_name: str, note: str) -> Figure:
    fig = figure(name, Stat(values), unit, note=note)
    fig.baseline_name, fig.baseline_value = target_name, target
    fig.ratio = target / fig.value if fig.value else None
    fig.target, fig.met = 1.0, fig.value <= target
    return fig


# -- the suite --------------------------------------------------------------------------------
def run(ctx: Context) -> list[Figure]:
    from peyvand.customer.v1 import customer_pb2 as pb

    size = sizes(ctx)
    count, clients = size["parties"], size["clients"]
    suffix = ctx.new_db_suffix()
    env = ctx.process_env("unused", suffix, LOG_LEVEL="WARNING", GRPC_MAX_WORKERS="16")
    database = store.connect("customer", ProcessSettings(mongodb_uri=ctx.mongo_uri, mongodb_db_suffix=suffix))
    figures: list[Figure] = []
    logs = ctx.tmp / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    path = ctx.tmp / "customers.csv"
    ctx.log(f"customer: generating {count:,} parties (seed {SEED}, ~2 % planted duplicates)")
    sample = write_csv(ctx, path, count)
    ctx.log(f"customer: importing {count:,} rows through the CLI (--initial-load: search indexes built after the rows)")
    imported = run_import(ctx, env, path, count)
    path.unlink()
    ctx.info["customer_import"] = imported
    target_rate = 1_000_000 / IMPORT_TARGET_SECONDS_PER_MILLION
    raw_insert = figure("raw store insert_many (party docs, 3 indexes)", Stat([raw_insert_many_rate(database, size["raw_insert"]) for _ in range(ctx.repeat)]), "docs/s")
    figures.append(raw_insert)
    rate = imported["rows"] / imported["wall"]
    note = (f"{imported['rows']:,} rows ({imported['created']:,} created, {imported['rejected']:,} rejected) in {imported['wall']:.0f} s "
            f"incl. {imported['index_seconds']:.0f} s index build; 1M would take {1_000_000 / rate / 60:.1f} min")
    figures.append(figure("customer import (CLI) ÷ raw insert_many", Stat([rate]), "rows/s", baseline=raw_insert, note=note))
    figures.append(figure("customer import vs 1M in 10 min", Stat([rate]), "rows/s", baseline=Figure("target rows/s", target_rate, "rows/s"), target=1.0))

    by_number = {}
    for r in sample[:1500]:
        doc = database["parties"].find_one({"customer_number": r["customer_number"]}, {"_id": 1})
        if doc:
            by_number[r["customer_number"]] = doc["_id"]
    ids = list(by_number.values())
    sample = [r for r in sample if r["customer_number"] in by_number]

    # raw indexed finds, one client per thread as the service would issue them
    from peyvand_customer.adapters.mapping import official_id_key
    from peyvand_customer.settings import CustomerGrpcSettings

    index_key = CustomerGrpcSettings(identity_secret=IDENTITY_SECRET, peyvand_env="test").id_index_key()
    parties = database["parties"]
    prefixes = ["n:" + r["first_name"][:2] for r in sample if r["kind"] == "person"][: size["samples"]]  # slot 0: the whole name
    keys = [official_id_key(index_key, "", r["national_id"], "") for r in sample if r["national_id"]][: size["samples"]]
    raw_range = [pct(latencies(clients, prefixes, lambda c, p: bool(list(parties.find({"k0": {"$gte": p, "$lt": p + "\uffff"}}, {"_id": 1}).sort("k0").limit(21))))[0], 0.95)]
    raw_eq = [pct(latencies(clients, keys, lambda c, k: parties.find_one({"official_id_key": k}) is not None)[0], 0.95)]
    raw_range_fig = figure("raw store prefix range + limit 21, p95", Stat(raw_range), "ms")
    raw_eq_fig = figure("raw store find_one blind index, p95", Stat(raw_eq), "ms")
    figures += [raw_range_fig, raw_eq_fig]
    raw_get = {k: figure(f"raw store find_one by _id, {k} thread(s)", Stat([threaded_rate(k, size["gets"], lambda c, i: parties.find_one({"_id": ids[i % len(ids)]})) for _ in range(ctx.repeat)]), "docs/s") for k in (1, 4, 8)}
    figures += list(raw_get.values())

    server = CustomerProcess(env, 8, logs / "customer-grpc.log")
    try:
        server.stubs[0].GetCustomer(pb.GetCustomerRequest(customer_id=ids[0]), timeout=30)  # warm
        for name, queries in search_cases(sample, size["samples"]).items():
            p95s, detail = [], ""
            for _ in range(ctx.repeat):
                times, found = latencies(clients, queries, lambda c, q: len(server.stubs[c].SearchCustomers(
                    pb.SearchCustomersRequest(query=q, page={"page_size": 20}), timeout=30).hits) > 0)
                p95s.append(pct(times, 0.95))
                detail = f"p50 {pct(times, 0.5):.1f} ms, p99 {pct(times, 0.99):.1f} ms, {found}/{len(queries)} found something, {clients} clients"
                ctx.log(f"search {name}: p95 {p95s[-1]:.1f} ms ({detail})")
            raw = raw_eq_fig if "id" in name or "mobile" in name or "email" in name else raw_range_fig
            figures.append(_lower_is_better(f"search {name}, p95", p95s, "ms", SEARCH_P95_TARGET_MS, "target p95 ms",
                                            f"{detail}; raw {raw.name.split(',')[0]} {raw.value:.1f} ms"))
        for k in (1, 4, 8):
            rates = [threaded_rate(k, size["gets"], lambda c, i: server.stubs[c].GetCustomer(pb.GetCustomerRequest(customer_id=ids[i % len(ids)]), timeout=30)) for _ in range(ctx.repeat)]
            ctx.log(f"GetCustomer, {k} client(s): {Stat(rates).median:,.0f}/s")
            figures.append(figure(f"GetCustomer gRPC, {k} client(s) ÷ raw find_one", Stat(rates), "calls/s", baseline=raw_get[k]))
            figures.append(figure(f"GetCustomer gRPC, {k} client(s) vs 1,000/s", Stat(rates), "calls/s", baseline=Figure("target calls/s", GET_TARGET, "calls/s"), target=1.0, applies=False))
        rates = [process_get_rate(server.port, ids, 4, 2, size["gets"] * 2) for _ in range(ctx.repeat)]
        ctx.log(f"GetCustomer, 8 clients in 4 processes: {Stat(rates).median:,.0f}/s")
        figures.append(figure("GetCustomer gRPC, 8 clients in 4 processes ÷ raw find_one", Stat(rates), "calls/s", baseline=raw_get[8]))
        figures.append(figure("GetCustomer gRPC, 8 clients in 4 processes vs 1,000/s", Stat(rates), "calls/s", baseline=Figure("target calls/s", GET_TARGET, "calls/s"), target=1.0))
        batches = [ids[i : i + 50] for i in range(0, len(ids) - 50, 50)] or [ids]
        for k in (1, 4):
            total = max(size["gets"] // 50, 20)
            rates = [50 * threaded_rate(k, total, lambda c, i: server.stubs[c].BatchGetCustomers(pb.BatchGetCustomersRequest(customer_ids=batches[i % len(batches)]), timeout=30)) for _ in range(ctx.repeat)]
            figures.append(figure(f"BatchGetCustomers (50 ids) gRPC, {k} client(s) ÷ raw find_one", Stat(rates), "customers/s", baseline=raw_get[k]))
    finally:
        server.close()

    if os.environ.get("BENCH_CUSTOMER_SCAN", "1") != "0":
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "peyvand_customer.entrypoints.cli", "scan-duplicates"], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"scan-duplicates exited with {done.returncode}: {done.stderr[-500:]}")
        line = done.stderr.strip().splitlines()[-1]
        ctx.log(f"duplicate scan: {line}")
        values = dict(re.findall(r"(\w+)=([\w.]+)", line))
        wall = time.perf_counter() - began
        figures.append(figure("duplicate scan (whole book, CLI)", Stat([int(values["profiles"]) / wall]), "parties/s",
                              note=f"{values['profiles']} profiles, {values['pairs_scored']} pairs scored, {values['candidates']} candidates, {wall:.0f} s"))
    database.client.drop_database(database.name)
    return figures
