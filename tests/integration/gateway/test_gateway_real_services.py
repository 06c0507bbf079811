"""The gateway as a real HTTP process in front of the real customer, policy, ticketing and
campaign gRPC processes (plus the customer relay and the ticketing worker, so ticketing learns
the customers): login per role, search, the 360° view, a ticket, my day, offline sync (pull and
push, an agent "offline for days" ending with exactly the server's book — customers reassigned or
moved to another branch meanwhile dropped by reconcile), a scope refusal, and
the ``degraded`` list when a service is stopped.

One stack per module (starting it is most of the time); tests run in file order and the last
one stops the campaign service.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from peyvand_runtime import store
from peyvand_runtime.settings import ProcessSettings
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs

PROCESSES = ("customer-grpc", "policy-grpc", "ticketing-grpc", "campaign-grpc", "customer-relay", "ticketing-worker", "gateway")
ROLES = ("agent", "staff", "manager", "marketing", "admin")
SETTLE = 2.3  # the changes feeds hold back the last 2 s of writes


class RealStack:
    def __init__(self, stack: Stack, http: httpx.Client, customers: list[dict[str, Any]], dbs: dict[str, Any]) -> None:
        self.stack, self.http, self.customers, self.dbs = stack, http, customers, dbs
        self._tokens: dict[str, dict[str, str]] = {}

    def login(self, username: str) -> dict[str, Any]:
        answer = self.http.post("/api/v1/auth/login", json={"username": username, "password": f"{username}-demo-1405"})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def as_(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            self._tokens[username] = {"Authorization": "Bearer " + self.login(username)["access_token"]}
        return self._tokens[username]

    def book_of(self, agent_id: str) -> list[dict[str, Any]]:
        return [c for c in self.customers if c["agent_id"] == agent_id]


def _wait(predicate: Any, timeout: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    logs = "\n".join(f"--- {p.name}\n{p.log_tail(10)}" for p in stack.processes.values())
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


@pytest.fixture(scope="module")
def real(infra: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealStack]:
    from peyvand_customer.demo.seed import seed_demo
    from peyvand_gateway.adapters import passwords
    from peyvand_gateway.service_layer.org import DEMO_AGENT_IDS, DEMO_BRANCH_CODES, seed_demo_org

    suffix, tmp = f"_{uuid.uuid4().hex[:8]}", Path(tmp_path_factory.mktemp("gateway-real"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMQP_", "MONGODB_"))}
    env.update(
        PEYVAND_ENV="test", MONGODB_URI=infra.mongo_uri, MONGODB_DB_SUFFIX=suffix, AMQP_URI=infra.amqp_uri(infra.new_vhost()),
        IDENTITY_SECRET="test-secret-" + "x" * 32, LOG_LEVEL="INFO", JWT_SECRET="test-jwt-secret-" + "r" * 32,
        PASSWORD_HASH_PROFILE="test", LOGIN_FIRST_DELAY_SECONDS="0", RELAY_IDLE_SLEEP_SECONDS="0.05",
    )
    patch = pytest.MonkeyPatch()
    for key in ("PEYVAND_ENV", "MONGODB_URI", "MONGODB_DB_SUFFIX", "AMQP_URI", "IDENTITY_SECRET"):
        patch.setenv(key, env[key])
    settings = ProcessSettings(mongodb_uri=infra.mongo_uri, mongodb_db_suffix=suffix)
    dbs = {name: store.connect(name, settings) for name in ("gateway", "customer", "ticketing")}
    passwords.configure("test")
    seed_demo_org(dbs["gateway"])
    customers = seed_demo(dbs["customer"], 24, list(DEMO_AGENT_IDS), list(DEMO_BRANCH_CODES), seed=11)
    plan = PortPlan.on_free_ports()
    stack = Stack([s for s in process_specs(plan) if s.name in PROCESSES], env, plan, tmp / "logs")
    http = httpx.Client(base_url=f"http://127.0.0.1:{plan.gateway_http}", timeout=10.0)
    try:
        # The relay last: the worker's queue must be bound before customer.created is published.
        stack.start(*[p for p in PROCESSES if p != "customer-relay"], timeout=60)
        stack.start("customer-relay", timeout=60)
        # Ticketing learns the customers from customer.created events (relay → worker).
        _wait(lambda: dbs["ticketing"]["customer_refs"].estimated_document_count() >= len(customers), 60, "ticketing's customer projection", stack)
        yield RealStack(stack, http, customers, dbs)
    finally:
        http.close()
        stack.stop()
        patch.undo()


def test_every_role_logs_in_and_is_who_it_says(real: RealStack) -> None:
    for role in ROLES:
        me = real.http.get("/api/v1/auth/me", headers=real.as_(role))
        assert me.status_code == 200, me.text
        assert me.json()["role"] == role
    wrong = real.http.post("/api/v1/auth/login", json={"username": "agent", "password": "not-the-password"})
    assert wrong.status_code == 401


def test_search_and_the_360_view_with_every_part(real: RealStack) -> None:
    from peyvand_gateway.service_layer.org import DEMO_AGENT_IDS

    staff = real.as_("staff")
    mine = real.book_of(DEMO_AGENT_IDS[0])[0]
    last_name = mine["display_name"].split()[-1]
    hits = real.http.get("/api/v1/customers", params={"q": last_name}, headers=staff)
    assert hits.status_code == 200, hits.text
    assert mine["customer_id"] in [h["customer"]["customer_id"] for h in hits.json()["items"]]

    opened = real.http.post("/api/v1/tickets", headers=real.as_("agent"), json={
        "type": "service_request", "category": "address", "channel": "phone", "customer_id": mine["customer_id"],
        "subject": "تغییر نشانی", "description": "نشانی جدید مشتری", "impact": "low", "urgency": "medium"})
    assert opened.status_code == 201, opened.text
    view = real.http.get(f"/api/v1/customers/{mine['customer_id']}/360", headers=staff)
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["degraded"] == []
    assert body["customer"]["customer_id"] == mine["customer_id"]
    assert {"policies", "tickets", "messages", "timeline"} <= set(body)
    assert opened.json()["ticket"]["ticket_id"] in [t["ticket_id"] for t in body["tickets"]]
    # The phone's compact view of the same customer, then a repeat with its ETag.
    compact = real.http.get(f"/mobile/v1/customers/{mine['customer_id']}/360", headers=real.as_("agent"))
    assert compact.status_code == 200 and compact.json()["degraded"] == []
    again = real.http.get(f"/mobile/v1/customers/{mine['customer_id']}/360", headers={**real.as_("agent"), "If-None-Match": compact.headers["ETag"]})
    assert again.status_code == 304


def test_out_of_scope_customer_is_404_for_an_agent(real: RealStack) -> None:
    from peyvand_gateway.service_layer.org import DEMO_AGENT_IDS

    theirs = real.book_of(DEMO_AGENT_IDS[2])[0]["customer_id"]
    answer = real.http.get(f"/mobile/v1/customers/{theirs}/360", headers=real.as_("agent"))
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("application/problem+json")
    assert real.http.get(f"/api/v1/customers/{theirs}", headers=real.as_("agent")).status_code == 404


def test_my_day_answers_from_every_service(real: RealStack) -> None:
    answer = real.http.get("/mobile/v1/my-day", headers=real.as_("agent"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["degraded"] == [] and isinstance(answer.json()["tasks"], list)


def _pull_all(real: RealStack, since: str, phone: dict[str, dict[str, Any]]) -> str:
    """What the app does: pull until nothing more waits, applying every page to its local book."""
    while True:
        page = real.http.get("/mobile/v1/sync/pull", params={"since": since, "limit": 5}, headers=real.as_("agent"))
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["degraded"] == []
        for source, key in (("customers", "customer_id"), ("tasks", "task_id"), ("tickets", "ticket_id")):
            for item in body[source]:
                phone[source][item[key]] = item
            for gone in body["removed"][source]:
                phone[source].pop(gone, None)
        since = body["next_token"]
        if not body["has_more"]:
            return since


def _reconcile(real: RealStack, phone: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """What the app does after the pulls: send the ids it holds (2,000 per kind per call), drop those answered."""
    dropped: dict[str, list[str]] = {source: [] for source in phone}
    held = {source: list(items) for source, items in phone.items()}
    for start in range(0, max(len(ids) for ids in held.values()) or 1, 2000):
        answer = real.http.post("/mobile/v1/sync/reconcile", json={s: ids[start : start + 2000] for s, ids in held.items()}, headers=real.as_("agent"))
        assert answer.status_code == 200, answer.text
        assert answer.json()["degraded"] == []
        for source, gone in answer.json()["removed"].items():
            for record_id in gone:
                phone[source].pop(record_id)
                dropped[source].append(record_id)
    return dropped


def _server_book(real: RealStack) -> dict[str, set[str]]:
    agent = real.as_("agent")

    def every(path: str, params: dict[str, str], key: str) -> set[str]:
        found, cursor = set(), ""
        while True:
            page = real.http.get(path, params={**params, "limit": "50", "cursor": cursor}, headers=agent)
            assert page.status_code == 200, page.text
            found |= {item[key] for item in page.json()["items"]}
            cursor = page.json()["next_cursor"] or ""
            if not cursor:
                return found

    tickets: set[str] = set()
    for status in ("new", "open", "pending_customer"):
        tickets |= every("/api/v1/tickets", {"status": status}, "ticket_id")
    return {"customers": every("/mobile/v1/book", {}, "customer_id"), "tasks": every("/api/v1/tasks", {"status": "open"}, "task_id"), "tickets": tickets}


def test_offline_agent_ends_with_exactly_the_servers_book_after_one_sync(real: RealStack) -> None:
    from peyvand_gateway.service_layer.org import DEMO_AGENT_IDS

    agent = real.as_("agent")
    phone: dict[str, dict[str, Any]] = {"customers": {}, "tasks": {}, "tickets": {}}
    time.sleep(SETTLE)
    token = _pull_all(real, "", phone)
    assert set(phone["customers"]) == {c["customer_id"] for c in real.book_of(DEMO_AGENT_IDS[0])}

    # The agent goes offline; meanwhile the office works on their book.
    book = real.book_of(DEMO_AGENT_IDS[0])
    first, second = book[0]["customer_id"], book[1]["customer_id"]
    opened = []
    for customer_id in (first, second, second):
        answer = real.http.post("/api/v1/tickets", headers=real.as_("staff"), json={
            "type": "complaint", "category": "claim_delay", "channel": "branch_visit", "customer_id": customer_id,
            "subject": "تأخیر خسارت", "description": "پیگیری", "impact": "medium", "urgency": "high"})
        assert answer.status_code == 201, answer.text
        opened.append(answer.json()["ticket"]["ticket_id"])
    for status in ("open", "resolved", "closed"):  # one of them is finished while the agent is away
        moved = real.http.post(f"/api/v1/tickets/{opened[1]}/status", headers=real.as_("staff"), json={"status": status, "note": "انجام شد"})
        assert moved.status_code == 200, moved.text
    tasks = []
    for title in ("تماس برای تمدید", "ارسال مدارک"):
        made = real.http.post("/api/v1/tasks", headers=agent, json={"kind": "follow_up", "customer_id": first, "title": title, "due_date": "2026-12-01"})
        assert made.status_code == 201, made.text
        tasks.append(made.json()["task_id"])
    done = real.http.post(f"/api/v1/tasks/{tasks[0]}/completion", headers=agent, json={"outcome": "انجام شد"})
    assert done.status_code == 200, done.text
    renamed = real.http.patch(f"/api/v1/customers/{first}", headers={**real.as_("staff"), "If-Match": f'"v{phone["customers"][first]["version"]}"'},
                              json={"father_name": "حسن"})
    assert renamed.status_code == 200, renamed.text
    # Two customers leave the book: one reassigned to a colleague in the same branch, one moved
    # to another branch (and its agent). The agent's changes feed can never mention them again.
    assert len(book) >= 5  # the last two are not the ones used above nor by the push test below
    reassigned, moved = book[-1]["customer_id"], book[-2]["customer_id"]
    for customer_id, who, change in ((reassigned, "staff", {"agent_id": DEMO_AGENT_IDS[3]}),
                                     (moved, "admin", {"agent_id": DEMO_AGENT_IDS[1], "branch_code": "1022"})):
        answer = real.http.patch(f"/api/v1/customers/{customer_id}", json=change,
                                 headers={**real.as_(who), "If-Match": f'"v{phone["customers"][customer_id]["version"]}"'})
        assert answer.status_code == 200, answer.text
    # A colleague's customer the agent never held, and an id that does not exist: both "removed".
    phone["customers"][real.book_of(DEMO_AGENT_IDS[2])[0]["customer_id"]] = {}
    phone["customers"]["cus_01JG0000000000000000000ZZZ"] = {}

    time.sleep(SETTLE)
    _pull_all(real, token, phone)
    assert {reassigned, moved} <= set(phone["customers"])  # the pull alone leaves them on the phone
    dropped = _reconcile(real, phone)
    server = _server_book(real)
    assert {source: set(items) for source, items in phone.items()} == server
    assert set(dropped["customers"]) == {reassigned, moved, real.book_of(DEMO_AGENT_IDS[2])[0]["customer_id"], "cus_01JG0000000000000000000ZZZ"}
    assert dropped["tasks"] == [] and dropped["tickets"] == []
    assert _reconcile(real, phone) == {"customers": [], "tasks": [], "tickets": []}  # nothing more to drop
    assert opened[1] not in phone["tickets"] and tasks[0] not in phone["tasks"] and tasks[1] in phone["tasks"]
    assert phone["customers"][first]["version"] == renamed.json()["version"]


def test_sync_push_applies_once_and_reports_conflicts(real: RealStack) -> None:
    from peyvand_gateway.service_layer.org import DEMO_AGENT_IDS

    customer_id = real.book_of(DEMO_AGENT_IDS[0])[2]["customer_id"]
    current = real.http.get(f"/api/v1/customers/{customer_id}", headers=real.as_("agent")).json()
    key = uuid.uuid4().hex
    batch = {"changes": [
        {"idempotency_key": f"log-{key}", "kind": "log_interaction", "customer_id": customer_id, "data": {"kind": "call", "summary": "تماس تمدید"}},
        {"idempotency_key": f"upd-{key}", "kind": "update_customer", "customer_id": customer_id, "base_version": current["version"],
         "data": {"father_name": "رضا"}},
        {"idempotency_key": f"old-{key}", "kind": "update_customer", "customer_id": customer_id, "base_version": current["version"],
         "data": {"father_name": "علی"}},
    ]}
    first = real.http.post("/mobile/v1/sync/push", json=batch, headers=real.as_("agent"))
    assert first.status_code == 200, first.text
    assert [o["outcome"] for o in first.json()["outcomes"]] == ["applied", "applied", "conflict"]
    again = real.http.post("/mobile/v1/sync/push", json=batch, headers=real.as_("agent")).json()["outcomes"]
    assert [o["outcome"] for o in again] == ["duplicate", "duplicate", "conflict"]
    timeline = real.http.get(f"/api/v1/customers/{customer_id}/timeline", headers=real.as_("agent")).json()["items"]
    assert sum(1 for e in timeline if e.get("summary") == "تماس تمدید") == 1


def test_a_stopped_service_is_named_in_degraded_not_a_500(real: RealStack) -> None:
    from peyvand_gateway.service_layer.org import DEMO_AGENT_IDS

    customer_id = real.book_of(DEMO_AGENT_IDS[0])[0]["customer_id"]
    real.stack.stop("campaign-grpc")
    began = time.monotonic()
    view = real.http.get(f"/api/v1/customers/{customer_id}/360", headers=real.as_("staff"))
    assert view.status_code == 200, view.text
    assert view.json()["degraded"] == ["messages"] and view.json()["customer"]["customer_id"] == customer_id
    assert time.monotonic() - began < 3.0
