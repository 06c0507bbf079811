"""Measurement, not a test: the SLA sweep over 200,000 open tickets with ~5 % due, the open-ticket gauge
recount at that size, and the gRPC open-ticket rate.

    .venv/bin/python tests/integration/ticketing/bench_ticketing_scale.py [--tickets 200000] [--due-share 0.05]

Starts its own nx-27017 in a temporary folder; the sweep runs as the real CLI
(``jobs_main sla-sweep --now``) under ``/usr/bin/time -v`` for its peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from peyvand_devstack.mongo import EmbeddedMongo
from peyvand_runtime.ids import new_id
from peyvand_runtime.settings import ProcessSettings
from peyvand_runtime.tehran_time import TEHRAN
from peyvand_ticketing.adapters.bulk import insert_tickets_bulk
from peyvand_ticketing.domain.business_calendar import BusinessCalendar
from peyvand_ticketing.domain.ticket import Ticket

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=TEHRAN).astimezone(dt.UTC)  # a Wednesday noon
QUEUES = [f"q-{b}-service-desk" for b in ("1201", "1202", "1203", "1301")]
TYPES = ("service_request", "complaint", "claim_inquiry", "incident")


def build(n: int, due_share: float, calendar: BusinessCalendar):  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    for i in range(n):
        due = rng.random() < due_share
        opened = NOW - (dt.timedelta(days=rng.randint(2, 6), minutes=rng.randint(0, 600)) if due else dt.timedelta(minutes=rng.randint(1, 20)))
        queue = rng.choice(QUEUES)
        yield Ticket.open(
            ticket_number=f"B-1405-{i + 1:06d}", type=rng.choice(TYPES), category="claim_status", channel="web",
            customer_id=new_id("cus"), subject="پیگیری", opened_by="bench", now=opened, calendar=calendar,
            impact=rng.choice(("medium", "low")), urgency=rng.choice(("medium", "low")), branch_code=queue.split("-")[1],
            queue_id=queue, agent_id=f"agt_{i % 300}",
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--due-share", type=float, default=0.05)
    parser.add_argument("--open-calls", type=int, default=400)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="tkbench-"))
    mongo = EmbeddedMongo(base / "mongo")
    mongo.start()
    try:
        env = {**os.environ, "MONGODB_URI": mongo.uri, "MONGODB_DB_SUFFIX": "_bench", "HOLIDAY_SEED_YEARS": "none",
               "PEYVAND_ENV": "test", "LOG_LEVEL": "WARNING"}
        os.environ.update({k: env[k] for k in ("MONGODB_URI", "MONGODB_DB_SUFFIX", "PEYVAND_ENV")})
        from peyvand_runtime import store
        from peyvand_ticketing.service_layer.context import bootstrap

        db = store.connect("ticketing", ProcessSettings())
        bootstrap(db, seed_years=[])
        calendar = BusinessCalendar()
        started = time.monotonic()
        inserted = insert_tickets_bulk(db, build(args.tickets, args.due_share, calendar), calendar)
        due = sum(1 for _ in db["tickets"].find({"sla_next_check_at": {"$lte": NOW}}, {"_id": 1}))
        print(f"inserted {inserted} tickets in {time.monotonic() - started:.1f}s; due for an SLA check at {NOW.isoformat()}: {due}")

        cmd = [sys.executable, "-m", "peyvand_ticketing.entrypoints.jobs_main", "sla-sweep", "--now", NOW.isoformat().replace("+00:00", "Z")]
        for label in ("first sweep", "second sweep (nothing new)"):
            t0 = time.monotonic()
            out = subprocess.run(["/usr/bin/time", "-v", *cmd], env=env, capture_output=True, text=True, check=True)
            wall = time.monotonic() - t0
            rss = next(line for line in out.stderr.splitlines() if "Maximum resident set size" in line).split(":")[1].strip()
            print(f"{label}: {wall:.1f}s wall (process incl. start-up), report {out.stdout.strip().splitlines()[-1]}, peak RSS {int(rss) // 1024} MB")
        out = subprocess.run([sys.executable, "-m", "peyvand_ticketing.entrypoints.jobs_main", "refresh-gauge"], env=env,
                             capture_output=True, text=True, check=True)
        print("gauge recount:", out.stdout.strip().splitlines()[-1][:300])
        open_rate(db, args.open_calls)
    finally:
        mongo.stop()


def open_rate(db, calls: int) -> None:  # type: ignore[no-untyped-def]
    from peyvand.ticketing.v1 import ticketing_pb2 as pb
    from peyvand.ticketing.v1 import ticketing_pb2_grpc
    from peyvand_runtime.grpc_client import PeyvandClientInterceptor, make_channel
    from peyvand_runtime.grpc_server import build_server
    from peyvand_runtime.identity import Caller
    from peyvand_runtime.settings import GrpcServerSettings
    from peyvand_ticketing.adapters import customer_refs
    from peyvand_ticketing.entrypoints.grpc_main import make_add_servicers
    from peyvand_ticketing.service_layer import admin
    from peyvand_ticketing.service_layer.context import bootstrap

    ctx = bootstrap(db, seed_years=[])
    staff = Caller("usr_bench", "user", "staff", branch_codes=("1201",))
    admin.create_queue(ctx, Caller("usr_admin", "user", "admin"), {"name": "bench", "branch_code": "1201", "team": "bench", "categories": ["*"],
                       "members": [{"user_id": f"usr_{i}"} for i in range(5)]})
    customers = [new_id("cus") for _ in range(50)]
    for c in customers:
        customer_refs.apply_snapshot(db, {"customer_id": c, "agent_id": "agt_1", "branch_code": "1201", "aggregate_version": 1})
    secret = "bench-secret-" + "x" * 32
    server, port, _ = build_server("ticketing", GrpcServerSettings(peyvand_env="test", identity_secret=secret, grpc_port=0), make_add_servicers(ctx))
    try:
        for threads in (1, 4):
            channel = make_channel(f"127.0.0.1:{port}", ["peyvand.ticketing.v1.TicketingService"],
                                   interceptors=[PeyvandClientInterceptor(secret, lambda: staff, 10.0)])
            stub = ticketing_pb2_grpc.TicketingServiceStub(channel)
            per = calls // threads

            def loop(k: int, stub: Any = stub, per: int = per, threads: int = threads) -> None:
                for i in range(per):
                    stub.OpenTicket(pb.OpenTicketRequest(type="service_request", category="certificate", channel="web",
                                                         customer_id=customers[(k * per + i) % len(customers)], subject="گواهی عدم خسارت",
                                                         idempotency_key=f"bench-{threads}-{k}-{i}"))

            t0 = time.monotonic()
            workers = [threading.Thread(target=loop, args=(k,)) for k in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            elapsed = time.monotonic() - t0
            print(f"OpenTicket over gRPC, {threads} client thread(s): {per * threads} tickets in {elapsed:.1f}s = {per * threads / elapsed:.0f} tickets/s")
            channel.close()
    finally:
        server.stop(0)
    print(json.dumps({"done": True}))


if __name__ == "__main__":
    main()
