"""The gateway app in-process (Starlette's TestClient) against fake customer, policy,
ticketing and campaign services on free ports, with its own database on the private
nx-27017.

Speed: one gateway (database, seeded users, fake servers) per test module, cheap argon2
parameters (``PASSWORD_HASH_PROFILE=test``, refused outside PEYVAND_ENV=test) and access
tokens reused within a module. Each test still starts from the same state: the fakes'
data, the clock, rate limits and login throttles are reset before it.
"""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from peyvand.campaign.v1 import campaign_pb2, campaign_pb2_grpc
from peyvand.customer.v1 import customer_pb2_grpc
from peyvand.policy.v1 import policy_pb2, policy_pb2_grpc
from peyvand.ticketing.v1 import ticketing_pb2, ticketing_pb2_grpc
from peyvand_runtime import store

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from gateway_fakes import FakeCustomerService, FakePolicyService, serve  # noqa: E402
from gateway_fakes_work import FakeCampaignService, FakeTicketingService, moment  # noqa: E402
from gateway_harness import AGENT_1, AGENT_3, MINE, OTHER, TICKET_MINE, TICKET_OTHER, Clock, GatewayUnderTest, person  # noqa: E402

IDENTITY_SECRET = "test-identity-secret-" + "y" * 32
WEBHOOK_SECRET = "test-webhook-secret-" + "w" * 16


def fresh_customers() -> FakeCustomerService:
    customers = FakeCustomerService()
    customers.add(person(MINE, AGENT_1, "1021", "مریم احمدی"))
    customers.add(person(OTHER, AGENT_3, "3101", "زهرا کریمی"))
    return customers


def fresh_policies() -> FakePolicyService:
    return FakePolicyService(
        policies=[policy_pb2.Policy(policy_id="pol_1", policy_number="1021-1405-000001", holder_id=MINE, agent_id=AGENT_1, branch_code="1021", status=policy_pb2.ACTIVE, version=1)]
    )


def fresh_ticketing() -> FakeTicketingService:
    ticketing = FakeTicketingService()
    ticketing.add_ticket(ticketing_pb2.Ticket(
        ticket_id=TICKET_MINE, ticket_number="T-1405-000001", type="complaint", category="claim_delay", channel="phone", customer_id=MINE,
        agent_id=AGENT_1, branch_code="1021", subject="تأخیر خسارت", status="open", sla_state="breached", priority="P2",
        resolution_due=moment("2026-11-21T10:00:00Z"), version=3,
    ))
    ticketing.add_ticket(ticketing_pb2.Ticket(
        ticket_id=TICKET_OTHER, ticket_number="T-1405-000002", type="service_request", category="address", channel="web", customer_id=OTHER,
        agent_id=AGENT_3, branch_code="3101", subject="تغییر نشانی", status="new", sla_state="ok", version=1,
    ))
    return ticketing


def fresh_campaign() -> FakeCampaignService:
    campaign = FakeCampaignService()
    campaign.deliveries[MINE] = [campaign_pb2.Delivery(delivery_id="dlv_1", customer_id=MINE, channel="sms", purpose="service", status="delivered",
                                                       sent_at="2026-11-20T06:30:00Z", policy_id="pol_1")]
    return campaign


def _reset(target: Any, fresh: Callable[[], Any]) -> None:
    """Give a servicer (bound to its running server) a fresh state."""
    target.__dict__.update(fresh().__dict__)


@pytest.fixture(scope="module")
def gw_module(infra: Any) -> Iterator[GatewayUnderTest]:
    from peyvand_gateway.bootstrap import bootstrap
    from peyvand_gateway.entrypoints.app import create_app
    from peyvand_gateway.service_layer.org import seed_demo_org
    from peyvand_gateway.settings import GatewaySettings

    fakes = {"customers": fresh_customers(), "policies": fresh_policies(), "ticketing": fresh_ticketing(), "campaign": fresh_campaign()}
    servers = [
        serve(fakes["customers"], customer_pb2_grpc.add_CustomerServiceServicer_to_server, IDENTITY_SECRET),
        serve(fakes["policies"], policy_pb2_grpc.add_PolicyServiceServicer_to_server, IDENTITY_SECRET),
        serve(fakes["ticketing"], ticketing_pb2_grpc.add_TicketingServiceServicer_to_server, IDENTITY_SECRET),
        serve(fakes["campaign"], campaign_pb2_grpc.add_CampaignServiceServicer_to_server, IDENTITY_SECRET),
    ]
    env = pytest.MonkeyPatch()
    for key, value in {
        "PEYVAND_ENV": "test",
        "MONGODB_URI": infra.mongo_uri,
        "MONGODB_DB_SUFFIX": f"_{uuid.uuid4().hex[:8]}",
        "IDENTITY_SECRET": IDENTITY_SECRET,
    }.items():
        env.setenv(key, value)
    settings = GatewaySettings(
        jwt_secret="test-jwt-secret-" + "z" * 32,
        customer_addr=f"127.0.0.1:{servers[0][1]}",
        policy_addr=f"127.0.0.1:{servers[1][1]}",
        ticketing_addr=f"127.0.0.1:{servers[2][1]}",
        campaign_addr=f"127.0.0.1:{servers[3][1]}",
        login_first_delay_seconds=0,
        compose_deadline_seconds=0.8,
        password_hash_profile="test",
        sms_webhook_secret=WEBHOOK_SECRET,
    )
    db = store.connect("gateway", settings)
    # Near the real time: the store's TTL monitor deletes by the wall clock.
    clock = Clock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    gateway = bootstrap(settings, db=db, clock=clock)  # chooses the hashing profile before seeding
    seed_demo_org(db, clock())
    app = create_app(gateway)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield GatewayUnderTest(client, fakes["customers"], fakes["policies"], clock, gateway, fakes["ticketing"], fakes["campaign"])
    finally:
        gateway.close()
        for server, _port in servers:
            server.stop(0)
        env.undo()


@pytest.fixture
def gw(gw_module: GatewayUnderTest) -> GatewayUnderTest:
    from peyvand_gateway.domain.rate_limit import TokenBuckets

    gw = gw_module
    _reset(gw.customers, fresh_customers)
    _reset(gw.policies, fresh_policies)
    _reset(gw.tickets, fresh_ticketing)
    _reset(gw.campaign, fresh_campaign)
    gw.clock.now = gw.base_time
    settings = gw.gateway.settings
    gw.gateway.rate_limits = TokenBuckets(settings.rate_limit_per_minute / 60.0, settings.rate_limit_burst)
    gw.gateway.db["login_throttles"].delete_many({})
    return gw
