"""The real stack the security tests attack: customer, policy, ticketing, campaign and gateway
processes on free ports (private broker and nx-27017), the demo users of every role, and
records inside and outside each role's scope created through the gateway's own API."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peyvand_devstack.ports import free_ports
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs

PROCESSES = (
    "customer-grpc", "customer-relay", "policy-grpc", "policy-worker", "policy-relay", "ticketing-grpc", "ticketing-worker",
    "campaign-grpc", "campaign-worker", "gateway",
)
ROLES = ("agent", "staff", "manager", "marketing", "admin")
AGENT_1 = "agt_01JG0000000000000000000AG1"  # the demo agent user; branch 1021 (region TEH)
AGENT_3 = "agt_01JG0000000000000000000AG3"  # branch 3101 (region ISF): nobody's scope but admin's
AGENT_4 = "agt_01JG0000000000000000000AG4"  # branch 1021, another agent's book
JWT_SECRET = "security-jwt-secret-" + "j" * 32
IDENTITY_SECRET = "security-identity-secret-" + "i" * 32


def national_id(head: str) -> str:
    """A valid کد ملی from its first nine digits (the check digit is computed)."""
    total = sum(int(d) * w for d, w in zip(head, range(10, 1, -1), strict=True))
    r = total % 11
    return head + str(r if r < 2 else 11 - r)


@dataclass
class Record:
    """One customer with a policy, a ticket and a task, owned by ``agent_id`` in ``branch``."""

    key: str
    agent_id: str
    branch: str
    national_id: str
    mobile: str
    email: str
    customer_id: str = ""
    policy_id: str = ""
    policy_number: str = ""
    quote_id: str = ""
    ticket_id: str = ""
    task_id: str = ""

    def ids(self) -> set[str]:
        return {v for v in (self.customer_id, self.policy_id, self.quote_id, self.ticket_id, self.task_id) if v}


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""


class SecurityStack:
    def __init__(self, mongo_uri: str, amqp_uri: str, log_dir: Path) -> None:
        import os

        self.db_suffix = f"_sec{uuid.uuid4().hex[:6]}"
        self.plan = PortPlan.on_free_ports()
        closed_sms, closed_push, closed_smtp = free_ports(3)  # nothing listens there: no message leaves
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AMQP_", "MONGODB_"))}
        env.update(
            PEYVAND_ENV="test",
            MONGODB_URI=mongo_uri,
            MONGODB_DB_SUFFIX=self.db_suffix,
            AMQP_URI=amqp_uri,
            IDENTITY_SECRET=IDENTITY_SECRET,
            JWT_SECRET=JWT_SECRET,
            LOGIN_FIRST_DELAY_SECONDS="0",
            PASSWORD_HASH_PROFILE="test",
            ACCESS_TOKEN_MINUTES="120",  # one session of tests, however loaded the machine
            # The fuzzers send thousands of requests per user; the limiter itself is tested elsewhere.
            RATE_LIMIT_PER_MINUTE="1000000",
            RATE_LIMIT_BURST="100000",
            RELAY_IDLE_SLEEP_SECONDS="0.05",
            LOG_LEVEL="INFO",
            SMS_BASE_URL=f"http://127.0.0.1:{closed_sms}",
            PUSH_BASE_URL=f"http://127.0.0.1:{closed_push}",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(closed_smtp),
        )
        self.env = env
        self.log_dir = log_dir
        specs = [s for s in process_specs(self.plan) if s.name in PROCESSES]
        self.stack = Stack(specs, env, self.plan, log_dir)
        self.mongo_uri = mongo_uri
        self.base_url = f"http://127.0.0.1:{self.plan.gateway_http}"
        self.tokens: dict[str, str] = {}
        self.records: dict[str, Record] = {}

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        from peyvand_gateway.service_layer.org import seed_demo_org
        from peyvand_runtime import store
        from peyvand_runtime.settings import ProcessSettings

        db = store.connect("gateway", ProcessSettings(mongodb_uri=self.mongo_uri, mongodb_db_suffix=self.db_suffix))
        seed_demo_org(db)
        self.stack.start(timeout=90)
        for role in ROLES:
            self.tokens[role] = self.login(role)["access_token"]

    def stop(self) -> None:
        for process in reversed(list(self.stack.processes.values())):
            process.stop(grace=5)

    def logs(self, lines: int = 25) -> str:
        return "\n".join(f"--- {p.name}\n{p.log_tail(lines)}" for p in self.stack.processes.values())

    def all_log_text(self) -> dict[str, str]:
        return {p.name: p.log_text() for p in self.stack.processes.values()}

    def gateway_db(self) -> Any:
        from pymongo import MongoClient

        return MongoClient(self.mongo_uri)[f"peyvand_gateway{self.db_suffix}"]

    def grpc_addr(self, service: str) -> str:
        return f"127.0.0.1:{self.plan.grpc[service]}"

    # --- HTTP ------------------------------------------------------------------------------

    def call(
        self, method: str, path: str, body: Any = None, role: str | None = None, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> Answer:
        data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else None)
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        if role:
            request.add_header("authorization", f"Bearer {self.tokens[role]}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                content = response.read()
                return Answer(response.status, _parse(content), dict(response.headers.items()), content)
        except urllib.error.HTTPError as exc:
            content = exc.read()
            return Answer(exc.code, _parse(content), dict(exc.headers.items()), content)

    def login(self, username: str) -> dict[str, Any]:
        answer = self.call("POST", "/api/v1/auth/login", {"username": username, "password": f"{username}-demo-1405"})
        assert answer.status == 200, answer.body
        return dict(answer.body)

    # --- records ---------------------------------------------------------------------------

    def seed(self) -> dict[str, Record]:
        """``mine``: agent 1's customer in branch 1021 (in scope of agent, staff, manager, admin);
        ``colleague``: agent 4's in branch 1021 (staff and manager see it, agent 1 does not);
        ``far``: agent 3's in branch 3101 (only admin sees it)."""
        wanted = [
            Record("mine", AGENT_1, "1021", national_id("004123456"), "09121234567", "maryam.k@example.ir"),
            Record("colleague", AGENT_4, "1021", national_id("005987654"), "09351112233", "reza.t@example.ir"),
            Record("far", AGENT_3, "3101", national_id("127654321"), "09131234987", "zahra.h@example.ir"),
        ]
        names = {"mine": ("مریم", "کاظمی"), "colleague": ("رضا", "توکلی"), "far": ("زهرا", "حیدری")}
        for record in wanted:
            first, last = names[record.key]
            answer = self.call(
                "POST",
                "/api/v1/customers",
                {
                    "kind": "person", "first_name": first, "last_name": last, "national_id": record.national_id, "birth_date": "1365/04/12",
                    "branch_code": record.branch, "agent_id": record.agent_id,
                    "contact_points": [
                        {"kind": "mobile", "value": record.mobile, "primary": True},
                        {"kind": "email", "value": record.email, "primary": False},
                    ],
                },
                "admin",
            )
            assert answer.status == 201, answer.body
            record.customer_id = answer.body["customer_id"]
            self.records[record.key] = record
        for record in self.records.values():
            self._issue_policy(record)
            self._open_ticket(record)
        return self.records

    def _issue_policy(self, record: Record) -> None:
        body = {
            "product_code": "motor_tpl", "holder_id": record.customer_id, "agent_id": record.agent_id, "branch_code": record.branch,
            "inputs": {"vehicle_type": "passenger_car", "usage": "personal", "engine_cc": "1600", "no_claims_years": "3"},
        }
        deadline = time.monotonic() + 40
        while True:
            quote = self.call("POST", "/api/v1/quotes", body, "admin")
            if quote.status == 201 or time.monotonic() > deadline:
                break
            time.sleep(0.3)  # the customer.created event is still on its way to the policy worker
        assert quote.status == 201, (quote.body, self.logs())
        record.quote_id = quote.body["quote_id"]
        policy = self.call("POST", "/api/v1/policies", {"quote_id": record.quote_id}, "admin", {"Idempotency-Key": uuid.uuid4().hex})
        assert policy.status == 201, policy.body
        record.policy_id = policy.body["policy_id"]
        record.policy_number = policy.body["policy_number"]
        # A fresh quote the tests may read (the issued one is used up).
        again = self.call("POST", "/api/v1/quotes", body, "admin")
        assert again.status == 201, again.body
        record.quote_id = again.body["quote_id"]

    def _open_ticket(self, record: Record) -> None:
        deadline = time.monotonic() + 40
        while True:
            ticket = self.call(
                "POST", "/api/v1/tickets",
                {"type": "complaint", "category": "claim_delay", "channel": "phone", "customer_id": record.customer_id, "subject": "تأخیر خسارت"},
                "admin",
            )
            if ticket.status == 201 or time.monotonic() > deadline:
                break
            time.sleep(0.3)  # the ticketing projection of the customer is still on its way
        assert ticket.status == 201, (ticket.body, self.logs())
        record.ticket_id = ticket.body["ticket"]["ticket_id"]
        task = self.call(
            "POST", "/api/v1/tasks",
            {"kind": "follow_up", "customer_id": record.customer_id, "title": "پیگیری مدارک", "due_date_jalali": "1405/09/03"},
            "admin",
        )
        assert task.status == 201, task.body
        record.task_id = task.body["task_id"]


def _parse(content: bytes) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")
