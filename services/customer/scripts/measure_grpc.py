"""Measure search p95 (name prefix, national id, mobile) and GetCustomer rate over real gRPC.

    MONGODB_URI=… MONGODB_DB_SUFFIX=… .venv/bin/python services/customer/scripts/measure_grpc.py [samples]

Runs an in-process customer gRPC server on the given database and calls it through a signed
client, as the gateway would. Prints numbers only (no personal data).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time

from peyvand.customer.v1 import customer_pb2 as pb
from peyvand.customer.v1 import customer_pb2_grpc
from peyvand_customer.entrypoints.grpc_main import add_servicers_for, build_context
from peyvand_customer.settings import CustomerGrpcSettings
from peyvand_runtime.grpc_client import PeyvandClientInterceptor, make_channel
from peyvand_runtime.grpc_server import build_server
from peyvand_runtime.identity import Caller


def p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * q))] * 1000


def main() -> None:
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    settings = CustomerGrpcSettings(grpc_port=0)
    ctx = build_context(settings)
    server, port, _ = build_server("customer", settings, add_servicers_for(ctx))
    admin = Caller("usr_01BENCH", "user", "admin")
    channel = make_channel(f"127.0.0.1:{port}", ["peyvand.customer.v1.CustomerService"], interceptors=[PeyvandClientInterceptor(settings.identity_secret, lambda: admin, 30, clock=lambda: dt.datetime.now(dt.UTC))])
    stub = customer_pb2_grpc.CustomerServiceStub(channel)
    rng = random.Random(1)
    docs = list(ctx.db["parties"].find({"national_id": {"$ne": ""}, "kind": "person"}, {"national_id": 1, "mobiles": 1, "last_name": 1, "first_name": 1}).limit(3000))
    rng.shuffle(docs)
    total = ctx.db["parties"].estimated_document_count()
    print(f"parties={total}")
    cases = {
        "name_prefix(3 letters of last name)": [d["last_name"][:3] for d in docs[:samples]],
        "name_two_tokens(first + last prefix)": [f"{d['first_name']} {d['last_name'][:3]}" for d in docs[:samples]],
        "national_id": [d["national_id"] for d in docs[:samples]],
        "mobile(+98 form)": ["+98" + d["mobiles"][0][3:] if d["mobiles"] else "" for d in docs[:samples]],
    }
    for name, queries in cases.items():
        times, hits = [], 0
        for query in queries:
            if not query:
                continue
            started = time.perf_counter()
            answer = stub.SearchCustomers(pb.SearchCustomersRequest(query=query, page={"page_size": 20}))
            times.append(time.perf_counter() - started)
            hits += bool(answer.hits)
        print(f"search {name}: n={len(times)} p50={p(times, 0.5):.1f}ms p95={p(times, 0.95):.1f}ms found={hits}/{len(times)}")
    ids = [d["_id"] for d in docs[: samples * 5]]
    started = time.perf_counter()
    for customer_id in ids:
        stub.GetCustomer(pb.GetCustomerRequest(customer_id=customer_id))
    elapsed = time.perf_counter() - started
    print(f"GetCustomer sequential: {len(ids) / elapsed:.0f}/s ({elapsed / len(ids) * 1000:.2f} ms each)")
    plan = ctx.db["parties"].find({"k0": {"$gte": "n:مح", "$lt": "n:مح\uffff"}}).explain()["queryPlanner"]["winningPlan"]
    print(f"explain name slot range: {plan}")
    plan = ctx.db["parties"].find({"official_id_key": "nid:x"}).explain()["queryPlanner"]["winningPlan"]
    print(f"explain national id: {plan}")
    channel.close()
    server.stop(0).wait()


if __name__ == "__main__":
    main()
