"""Faults under the gateway, with real processes (customer, policy, ticketing and campaign gRPC
servers and the gateway) on the suite's own nx-27017 and broker:

- one service stopped (SIGSTOP: a hung process) or killed: the 360° view still answers within
  its deadline, naming the missing part in ``degraded``;
- the MongoDB-compatible server stopped and restarted: meanwhile a gRPC call answers
  UNAVAILABLE (fast, never INTERNAL or a hang) and the gateway 503 + ``Retry-After`` as
  problem+json; afterwards every process serves again by itself, with the same pid.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from faults_support import all_threads_stopped, listeners, tally, wait_for
from peyvand.customer.v1 import customer_pb2, customer_pb2_grpc
from peyvand_runtime import store
from peyvand_runtime.grpc_client import PeyvandClientInterceptor
from peyvand_runtime.identity import Caller
from peyvand_runtime.settings import ProcessSettings
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from e2e_stack import AGENT_1, IDENTITY_SECRET, base_env, national_id  # noqa: E402

PROCESSES = ("customer-grpc", "policy-grpc", "ticketing-grpc", "campaign-grpc", "gateway")
FIRST_NAMES = ("علی", "مریم", "رضا", "زهرا", "حسین")
LAST_NAMES = ("رضایی", "کاظمی", "موسوی", "حسینی", "جعفری")
ADMIN = Caller("usr_01JADMIN", "user", "admin")


class GatewayStack:
    def __init__(self, infra: Any, log_dir: Path) -> None:
        self.infra = infra
        self.suffix = f"_f{uuid.uuid4().hex[:6]}"
        plan = PortPlan.on_free_ports()
        self.stack = Stack([s for s in process_specs(plan) if s.name in PROCESSES], base_env(infra.mongo_uri, self.suffix, infra.amqp_uri(infra.new_vhost())), plan, log_dir)
        self.base_url = f"http://127.0.0.1:{plan.gateway_http}"
        self.customer_addr = f"127.0.0.1:{plan.grpc['customer']}"
        settings = ProcessSettings(mongodb_uri=infra.mongo_uri, mongodb_db_suffix=self.suffix)
        self.gateway_db = store.connect("gateway", settings)
        self.customer_db = store.connect("customer", settings)
        self.token = ""

    def call(self, method: str, path: str, body: Any = None, timeout: float = 20) -> tuple[int, dict[str, str], Any]:
        request = urllib.request.Request(self.base_url + path, data=json.dumps(body).encode() if body is not None else None, method=method)
        request.add_header("content-type", "application/json")
        request.add_header("authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), json.loads(exc.read() or b"null")

    def login(self) -> None:
        from peyvand_gateway.service_layer.org import seed_demo_org

        seed_demo_org(self.gateway_db)
        self.token = ""
        status, _, body = self.call("POST", "/api/v1/auth/login", {"username": "staff", "password": "staff-demo-1405"})
        assert status == 200, body
        self.token = body["access_token"]

    def new_customer(self, head: str) -> tuple[int, Any]:
        status, _, body = self.call("POST", "/api/v1/customers", {
            "kind": "person", "first_name": FIRST_NAMES[int(head[2])], "last_name": LAST_NAMES[int(head[2])], "national_id": national_id(head), "birth_date": "1365/04/12",
            "branch_code": "1021", "agent_id": AGENT_1, "contact_points": [{"kind": "mobile", "value": f"0912{head[-7:]}", "primary": True}],
        })
        return status, body

    def pids(self) -> dict[str, int]:
        return {p.name: p.proc.pid for p in self.stack.processes.values() if p.alive and p.proc is not None}


@pytest.fixture(scope="module")
def gw(infra: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayStack]:
    stack = GatewayStack(infra, tmp_path_factory.mktemp("fault-gateway-logs"))
    try:
        stack.stack.start(timeout=90)
        stack.login()
        yield stack
    finally:
        for process in reversed(list(stack.stack.processes.values())):
            if process.alive and process.proc is not None:
                os.kill(process.proc.pid, signal.SIGCONT)
            process.stop(grace=5)


def test_one_service_down_the_360_view_answers_in_time_naming_it(gw: GatewayStack) -> None:
    status, customer = gw.new_customer("000123456")
    assert status == 201, customer
    path = f"/api/v1/customers/{customer['customer_id']}/360"
    status, _, healthy = gw.call("GET", path)
    assert status == 200 and healthy["degraded"] == [], healthy
    answers = {}
    ticketing = gw.stack["ticketing-grpc"].proc
    os.kill(ticketing.pid, signal.SIGSTOP)  # hung: accepts connections, never answers
    try:
        wait_for(lambda: all_threads_stopped(ticketing.pid), 10, "every thread of ticketing-grpc stopped")
        began = time.monotonic()
        answers["ticketing"] = (gw.call("GET", path), time.monotonic() - began)
        # who else answers on ticketing's port, if the view came back whole (a flake seen once in CI)
        ticketing_port = gw.stack.plan.grpc["ticketing"]
        seen_while_hung = f"ticketing-grpc pid {ticketing.pid}; listening on {ticketing_port}: {listeners(ticketing_port)}"
    finally:
        os.kill(ticketing.pid, signal.SIGCONT)
    gw.stack["campaign-grpc"].kill()  # dead: connection refused
    began = time.monotonic()
    answers["campaign"] = (gw.call("GET", path), time.monotonic() - began)
    gw.stack.start("campaign-grpc", timeout=60)
    for service, ((status, _, body), seconds) in answers.items():
        print(f"\n360 view with {service} down: HTTP {status} in {seconds:.2f} s, degraded={body.get('degraded')}")
        assert status == 200, body
        assert seconds < 3.0, f"the view must answer within its deadline (0.8 s) plus overhead, took {seconds:.2f} s"
        assert body["customer"]["customer_id"] == customer["customer_id"] and body["policies"] == []
    assert answers["ticketing"][0][2]["degraded"] == ["tickets"] and answers["ticketing"][0][2]["tickets"] is None, seen_while_hung
    assert answers["campaign"][0][2]["degraded"] == ["messages"] and answers["campaign"][0][2]["messages"] is None
    wait_for(lambda: gw.call("GET", path)[2].get("degraded") == [], 30, "the full view back")
    # lost: a part whose service was up but is missing from the answer; duplicated: a part
    # named twice (in both the answer and degraded, or degraded twice)
    expected = [f"{service}:{name}" for service, ((_, _, body), _) in answers.items() for name in ("customer", "policies", "timeline", "tickets", "messages") if name not in body["degraded"]]
    got = [f"{service}:{name}" for service, ((_, _, body), _) in answers.items() for name in ("customer", "policies", "timeline", "tickets", "messages") if body.get(name) is not None]
    got += [f"{service}:{name}" for service, ((_, _, body), _) in answers.items() for name in body["degraded"] if body.get(name) is not None or body["degraded"].count(name) > 1]
    result = tally("one service down, 360 view parts", expected, got).report()
    assert (result.lost, result.duplicated) == (0, 0)


def test_store_restarted_services_recover_unavailable_meanwhile(gw: GatewayStack) -> None:
    heads = [f"00{i}765432" for i in (1, 2, 3)]
    first = ""
    for head in heads[:2]:
        status, body = gw.new_customer(head)
        assert status == 201, body
        first = first or body["customer_id"]
    pids = gw.pids()
    mongo = gw.infra.mongo
    # one attempt, no client retries: what the server itself answers while its store is gone
    channel = grpc.intercept_channel(grpc.insecure_channel(gw.customer_addr),
                                     PeyvandClientInterceptor(IDENTITY_SECRET, lambda: ADMIN, 10.0, clock=lambda: dt.datetime.now(dt.UTC)))
    stub = customer_pb2_grpc.CustomerServiceStub(channel)
    mongo.stop()
    try:
        began = time.monotonic()
        with pytest.raises(grpc.RpcError) as raised:
            stub.GetCustomer(customer_pb2.GetCustomerRequest(customer_id=first), timeout=15)
        grpc_seconds = time.monotonic() - began
        began = time.monotonic()
        refused = gw.call("GET", f"/api/v1/customers/{first}")
        http_seconds = time.monotonic() - began
        write_status, write_body = gw.new_customer(heads[2])  # a write while the store is down
    finally:
        mongo.start()
        channel.close()
    status, headers, problem = refused
    print(f"\nstore down: gRPC {raised.value.code().name} in {grpc_seconds:.2f} s; gateway GET {status} in {http_seconds:.2f} s, POST {write_status}")
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE, raised.value
    assert grpc_seconds < 8, "UNAVAILABLE must come fast (store selection timeout 3 s), not after a hang"
    for got_status, got_body in ((status, problem), (write_status, write_body)):
        assert got_status == 503, got_body
        assert got_body["status"] == 503 and got_body["code"] in ("DEPENDENCY_UNAVAILABLE", "STORE_UNAVAILABLE"), got_body
    lower = {k.lower(): v for k, v in headers.items()}
    assert int(lower["retry-after"]) >= 1 and lower["content-type"].startswith("application/problem+json"), lower
    # recovery without help: the refused write, retried by the client, goes through once
    wait_for(lambda: gw.new_customer(heads[2])[0] == 201, 60, "the services to serve again")
    assert gw.pids() == pids, "no process restarted (no crash loop)"
    wanted = [national_id(h) for h in heads]
    stored = [d.get("national_id") for d in gw.customer_db["parties"].find({}, {"national_id": 1}) if d.get("national_id") in wanted]
    result = tally("store restart", wanted, stored).report()
    assert (result.lost, result.duplicated) == (0, 0)
