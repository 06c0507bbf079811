"""The gateway app in-process (Starlette's TestClient) against fake customer and policy
services on free ports, with its own database on the private nx-27017 (``isolated``)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from peyvand.customer.v1 import customer_pb2_grpc
from peyvand.policy.v1 import policy_pb2, policy_pb2_grpc
from peyvand_runtime import store

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from gateway_fakes import FakeCustomerService, FakePolicyService, serve  # noqa: E402
from gateway_harness import AGENT_1, AGENT_3, MINE, OTHER, Clock, GatewayUnderTest, person  # noqa: E402

IDENTITY_SECRET = "test-identity-secret-" + "y" * 32


@pytest.fixture
def gw(isolated: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewayUnderTest]:
    from peyvand_gateway.bootstrap import bootstrap
    from peyvand_gateway.entrypoints.app import create_app
    from peyvand_gateway.service_layer.org import seed_demo_org
    from peyvand_gateway.settings import GatewaySettings

    customers = FakeCustomerService()
    customers.add(person(MINE, AGENT_1, "1021", "مریم احمدی"))
    customers.add(person(OTHER, AGENT_3, "3101", "زهرا کریمی"))
    policies = FakePolicyService(
        policies=[policy_pb2.Policy(policy_id="pol_1", policy_number="1021-1405-000001", holder_id=MINE, agent_id=AGENT_1, branch_code="1021", status=policy_pb2.ACTIVE, version=1)]
    )
    customer_server, customer_port = serve(customers, customer_pb2_grpc.add_CustomerServiceServicer_to_server, IDENTITY_SECRET)
    policy_server, policy_port = serve(policies, policy_pb2_grpc.add_PolicyServiceServicer_to_server, IDENTITY_SECRET)
    monkeypatch.setenv("IDENTITY_SECRET", IDENTITY_SECRET)
    settings = GatewaySettings(
        jwt_secret="test-jwt-secret-" + "z" * 32,
        customer_addr=f"127.0.0.1:{customer_port}",
        policy_addr=f"127.0.0.1:{policy_port}",
        login_first_delay_seconds=0,
        compose_deadline_seconds=0.8,
    )
    db = store.connect("gateway", settings)
    # Near the real time: the store's TTL monitor deletes by the wall clock.
    clock = Clock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    seed_demo_org(db, clock())
    gateway = bootstrap(settings, db=db, clock=clock)
    app = create_app(gateway)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield GatewayUnderTest(client, customers, policies, clock, gateway)
    finally:
        gateway.close()
        customer_server.stop(0)
        policy_server.stop(0)
