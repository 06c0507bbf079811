"""The real stack behind the web UI tests: gateway, customer, policy, ticketing and campaign
processes on free ports, demo users, and a few customers and policies created through the
gateway's own API."""

from __future__ import annotations

import datetime as dt
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

# Customer, the policy, ticketing and campaign projections of customers they need, and the
# gateway. Campaign runs its gRPC server (segments, templates, campaigns) and its worker (the
# customer profiles segments select from); no campaign jobs or sender loop, so nothing is sent.
PROCESSES = (
    "customer-grpc", "customer-relay", "policy-grpc", "policy-worker", "policy-relay", "ticketing-grpc", "ticketing-worker",
    "campaign-grpc", "campaign-worker", "gateway",
)
AGENT_1 = "agt_01JG0000000000000000000AG1"  # the demo agent of branch 1021
JWT_SECRET = "e2e-jwt-secret-" + "j" * 32
IDENTITY_SECRET = "e2e-identity-secret-" + "i" * 32


def national_id(head: str) -> str:
    """A valid کد ملی from its first nine digits (the check digit is computed)."""
    total = sum(int(d) * w for d, w in zip(head, range(10, 1, -1), strict=True))
    r = total % 11
    return head + str(r if r < 2 else 11 - r)


def base_env(mongo_uri: str, db_suffix: str, amqp_uri: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMQP_", "MONGODB_"))}
    env.update(
        PEYVAND_ENV="test",
        MONGODB_URI=mongo_uri,
        MONGODB_DB_SUFFIX=db_suffix,
        AMQP_URI=amqp_uri,
        IDENTITY_SECRET=IDENTITY_SECRET,
        JWT_SECRET=JWT_SECRET,
        LOGIN_FIRST_DELAY_SECONDS="0",
        RELAY_IDLE_SLEEP_SECONDS="0.05",
        LOG_LEVEL="INFO",
    )
    env.update(extra or {})
    return env


@dataclass
class Seeded:
    """What the tests look for: the demo customers' ids and the facts typed into searches."""

    customers: dict[str, str] = field(default_factory=dict)
    mobiles: dict[str, str] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)


class WebStack:
    def __init__(self, mongo_uri: str, amqp_uri: str, log_dir: Path) -> None:
        self.db_suffix = f"_e2e{uuid.uuid4().hex[:6]}"
        plan = PortPlan.on_free_ports()
        closed_sms, closed_push, closed_smtp = free_ports(3)  # nothing listens there: no message leaves
        self.env = base_env(
            mongo_uri,
            self.db_suffix,
            amqp_uri,
            {
                "SMS_BASE_URL": f"http://127.0.0.1:{closed_sms}",
                "PUSH_BASE_URL": f"http://127.0.0.1:{closed_push}",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(closed_smtp),
            },
        )
        specs = [s for s in process_specs(plan) if s.name in PROCESSES]
        self.stack = Stack(specs, self.env, plan, log_dir)
        self.mongo_uri = mongo_uri
        self.base_url = f"http://127.0.0.1:{plan.gateway_http}"
        self.seeded = Seeded()

    def seed_users(self) -> None:
        from peyvand_gateway.service_layer.org import seed_demo_org
        from peyvand_runtime import store
        from peyvand_runtime.settings import ProcessSettings

        db = store.connect("gateway", ProcessSettings(mongodb_uri=self.mongo_uri, mongodb_db_suffix=self.db_suffix))
        seed_demo_org(db)

    def start(self) -> None:
        self.seed_users()
        self.stack.start(timeout=60)

    def stop(self) -> None:
        for process in reversed(list(self.stack.processes.values())):
            process.stop(grace=5)

    def logs(self, lines: int = 25) -> str:
        return "\n".join(f"--- {p.name}\n{p.log_tail(lines)}" for p in self.stack.processes.values())

    # --- the gateway's API, as the tests' own client -------------------------------------

    def call(self, method: str, path: str, body: Any = None, token: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        if token:
            request.add_header("authorization", f"Bearer {token}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, json.loads(raw) if raw else None

    def token(self, username: str) -> str:
        status, body = self.call("POST", "/api/v1/auth/login", {"username": username, "password": f"{username}-demo-1405"})
        assert status == 200, body
        return str(body["access_token"])

    def seed_customers(self) -> Seeded:
        """Customers of branch 1021 (the demo staff user's), one with a policy ending soon."""
        token = self.token("staff")
        people = [
            ("ali", "علی", "رضایی", national_id("004123456"), "09121234567", "1365/04/12"),
            ("maryam", "مریم", "کاظمی", national_id("005987654"), "09351112233", "1370/11/02"),
        ]
        for key, first, last, nid, mobile, birth in people:
            status, body = self.call(
                "POST",
                "/api/v1/customers",
                {
                    "kind": "person",
                    "first_name": first,
                    "last_name": last,
                    "national_id": nid,
                    "birth_date": birth,
                    "branch_code": "1021",
                    "agent_id": AGENT_1,
                    "contact_points": [{"kind": "mobile", "value": mobile, "primary": True}],
                },
                token,
            )
            assert status == 201, body
            self.seeded.customers[key] = body["customer_id"]
            self.seeded.mobiles[key] = mobile
        self._seed_policy(token, self.seeded.customers["ali"])
        return self.seeded

    def _seed_policy(self, token: str, holder_id: str) -> None:
        """Ali's policies: motor third-party for a year, and a 14-day trip (ends within 30 days)."""
        motor = {"vehicle_type": "passenger_car", "usage": "personal", "engine_cc": "1600", "no_claims_years": "3"}
        self.seeded.policies["motor"] = self._issue(token, {"product_code": "motor_tpl", "holder_id": holder_id, "inputs": motor})
        trip = {"destination_zone": "neighbours", "age": "38"}
        self.seeded.policies["travel"] = self._issue(token, {"product_code": "travel", "holder_id": holder_id, "inputs": trip, "term_days": 14})

    def _issue(self, token: str, quote_body: dict[str, Any]) -> dict[str, Any]:
        body = {**quote_body, "agent_id": AGENT_1, "branch_code": "1021"}
        deadline = time.monotonic() + 30
        while True:
            status, quote = self.call("POST", "/api/v1/quotes", body, token)
            if status == 201 or time.monotonic() > deadline:
                break
            time.sleep(0.3)  # the customer.created event is still on its way to the policy worker
        assert status == 201, (quote, self.logs())
        status, policy = self.call("POST", "/api/v1/policies", {"quote_id": quote["quote_id"]}, token, {"Idempotency-Key": uuid.uuid4().hex})
        assert status == 201, policy
        return dict(policy)


def wait_until(predicate: Any, timeout: float = 10, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def today_tehran() -> dt.date:
    from peyvand_runtime.tehran_time import TEHRAN

    return dt.datetime.now(TEHRAN).date()
