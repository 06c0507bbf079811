"""Helpers for the gateway integration tests: demo ids, customer builders, a settable clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from peyvand.customer.v1 import customer_pb2

AGENT_1 = "agt_01JG0000000000000000000AG1"
AGENT_3 = "agt_01JG0000000000000000000AG3"
MINE = "cus_01JG00000000000000000000C1"
OTHER = "cus_01JG00000000000000000000C2"
# Tickets the fake ticketing service holds: of MINE (agent 1) and of OTHER (agent 3). Here, not in
# conftest: `from conftest import` clashes with tests/security/conftest.py in one pytest run.
TICKET_MINE = "tkt_01JG0000000000000000000TK1"
TICKET_OTHER = "tkt_01JG0000000000000000000TK2"


def person(customer_id: str, agent: str, branch: str, name: str, version: int = 1) -> customer_pb2.Customer:
    first, last = name.split()
    return customer_pb2.Customer(
        customer_id=customer_id,
        customer_number="C-1",
        kind=customer_pb2.PERSON,
        display_name=name,
        first_name=first,
        last_name=last,
        national_id="0012345679",
        birth_date="1990-11-24",
        agent_id=agent,
        branch_code=branch,
        contact_points=[customer_pb2.ContactPoint(kind="mobile", value="+989121234567", primary=True)],
        status="active",
        version=version,
    )


@dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class GatewayUnderTest:
    client: TestClient
    customers: Any
    policies: Any
    clock: Clock
    gateway: Any
    tickets: Any = None
    campaign: Any = None
    base_time: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    _bearers: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base_time = self.clock.now

    def login(self, username: str, password: str | None = None) -> dict[str, Any]:
        answer = self.client.post("/api/v1/auth/login", json={"username": username, "password": password or f"{username}-demo-1405"})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def bearer(self, username: str) -> dict[str, str]:
        """An access token for ``username``, signed in once per module (tokens are issued at
        the module's base time, and every test starts with the clock there)."""
        if username not in self._bearers:
            self._bearers[username] = {"Authorization": "Bearer " + self.login(username)["access_token"]}
        return dict(self._bearers[username])
