"""Campaign rigs: the fake SMS and push providers, a real SMTP server (aiosmtpd), a fake
CustomerService built from the generated proto types, the campaign processes as real
subprocesses, and helpers to publish envelopes and capture campaign events."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import Message
from pathlib import Path
from typing import Any

import grpc
import pika
import pytest
from aiosmtpd.controller import Controller
from peyvand.campaign.v1 import campaign_pb2_grpc
from peyvand.customer.v1 import customer_pb2, customer_pb2_grpc
from peyvand_campaign.fakes.push_provider import FakePushProvider
from peyvand_campaign.fakes.sms_provider import FakeSmsProvider
from peyvand_devstack.ports import free_ports
from peyvand_runtime import store
from peyvand_runtime.envelope import Envelope
from peyvand_runtime.grpc_client import PeyvandClientInterceptor, make_channel
from peyvand_runtime.grpc_server import build_server
from peyvand_runtime.identity import Caller, current_caller
from peyvand_runtime.ids import new_id
from peyvand_runtime.settings import GrpcServerSettings, ProcessSettings
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)  # campaign_it_support, for the test modules

SECRET = "test-secret-" + "x" * 32
ADMIN = Caller("usr_01JADMIN", "user", "admin")
MARKETING = Caller("usr_01JMARKETING", "user", "marketing")
# 12:00 Tehran time on 10 June 2026: no quiet hours.
NOON = "2026-06-10T08:30:00+00:00"


class SmtpCatcher:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook name
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content, policy=email_policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpCatcher, int]]:
    catcher = SmtpCatcher()
    port = free_ports(1)[0]
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield catcher, port
    finally:
        controller.stop()


@pytest.fixture
def sms_provider() -> Iterator[FakeSmsProvider]:
    provider = FakeSmsProvider(deliver_after=0.2).start()
    yield provider
    provider.stop()


@pytest.fixture
def push_provider() -> Iterator[FakePushProvider]:
    provider = FakePushProvider().start()
    yield provider
    provider.stop()


@dataclass
class FakeCustomerService(customer_pb2_grpc.CustomerServiceServicer):
    calls: list[tuple[customer_pb2.SetConsentRequest, str]] = field(default_factory=list)

    def SetConsent(self, request: customer_pb2.SetConsentRequest, context: grpc.ServicerContext) -> customer_pb2.SetConsentResponse:  # noqa: N802
        self.calls.append((request, current_caller().principal))
        consent = customer_pb2.Consent(channel=request.channel, purpose=request.purpose, granted=request.granted, source=request.source)
        return customer_pb2.SetConsentResponse(customer=customer_pb2.Customer(customer_id=request.customer_id, consents=[consent]))


@pytest.fixture
def customer_service() -> Iterator[tuple[FakeCustomerService, int]]:
    servicer = FakeCustomerService()

    def add(server: grpc.Server) -> list[str]:
        customer_pb2_grpc.add_CustomerServiceServicer_to_server(servicer, server)
        return ["peyvand.customer.v1.CustomerService"]

    server, port, _ = build_server("customer", GrpcServerSettings(peyvand_env="test", identity_secret=SECRET, grpc_port=0), add)
    yield servicer, port
    server.stop(0).wait()


def signed_stub(target: str, caller: Caller = ADMIN) -> tuple[campaign_pb2_grpc.CampaignServiceStub, grpc.Channel]:
    interceptor = PeyvandClientInterceptor(SECRET, lambda: caller, 5.0, clock=lambda: dt.datetime.now(dt.UTC))
    channel = make_channel(target, ["peyvand.campaign.v1.CampaignService"], interceptors=[interceptor])
    return campaign_pb2_grpc.CampaignServiceStub(channel), channel


class Rig:
    def __init__(self, isolated: Any, stack: Stack, sms: FakeSmsProvider, push: FakePushProvider, smtp: SmtpCatcher,
                 customer: FakeCustomerService) -> None:
        self.isolated, self.stack, self.sms, self.push, self.smtp, self.customer = isolated, stack, sms, push, smtp, customer
        self.db = store.connect("campaign", ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix))
        self.channels: list[grpc.Channel] = []

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.stack.plan.grpc['campaign']}"

    def stub(self, caller: Caller = ADMIN) -> campaign_pb2_grpc.CampaignServiceStub:
        stub, channel = signed_stub(self.grpc_target, caller)
        self.channels.append(channel)
        return stub

    def _connection(self) -> pika.BlockingConnection:
        return pika.BlockingConnection(pika.URLParameters(self.isolated.amqp_uri))

    def publish(self, producer: str, event_type: str, payload: dict[str, Any], event_id: str | None = None,
                occurred_at: str = "2026-06-10T08:30:00.000Z") -> str:
        envelope = Envelope(event_id or new_id("evt"), event_type, 1, occurred_at, producer, "req_test", payload)
        connection = self._connection()
        try:
            channel = connection.channel()
            channel.exchange_declare(f"{producer}.events", exchange_type="topic", durable=True)
            channel.confirm_delivery()
            channel.basic_publish(f"{producer}.events", event_type, envelope.to_json().encode(),
                                  pika.BasicProperties(content_type="application/json", delivery_mode=2))
        finally:
            connection.close()
        return envelope.event_id

    def capture(self, event_type: str) -> str:
        queue = f"test-capture-{event_type}"
        connection = self._connection()
        try:
            channel = connection.channel()
            channel.exchange_declare("campaign.events", exchange_type="topic", durable=True)
            channel.queue_declare(queue, durable=True)
            channel.queue_bind(queue, "campaign.events", routing_key=event_type)
        finally:
            connection.close()
        return queue

    def captured(self, queue: str) -> list[dict[str, Any]]:
        """Everything in the capture queue (left in place)."""
        connection = self._connection()
        found = []
        try:
            channel = connection.channel()
            while True:
                method, _props, body = channel.basic_get(queue, auto_ack=False)
                if method is None:
                    break
                found.append(json.loads(body))
            channel.close()
        finally:
            if connection.is_open:
                connection.close()
        return found

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        logs = "\n".join(f"--- {p.name}\n{p.log_tail(25)}" for p in self.stack.processes.values())
        deliveries = list(self.db["deliveries"].find({}, {"outbox": 0}))
        raise AssertionError(f"timed out waiting for {what}\n{logs}\n--- deliveries\n{deliveries}")

    def metrics_text(self, process: str) -> str:
        import urllib.request

        port = self.stack[process].spec.metrics_port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            return str(response.read().decode())

    def seed_customer(self, customer_id: str, *, mobile: str = "+989121234567", email: str = "sara@example.ir",
                      consents: list[dict[str, Any]] | None = None, city: str = "تهران", version: int = 1) -> None:
        self.publish("customer", "customer.created", {
            "customer_id": customer_id, "customer_number": "C-1001", "kind": "person", "display_name": "سارا احمدی",
            "first_name": "سارا", "last_name": "احمدی", "birth_date": "1988-04-02", "gender": "female", "roles": ["policyholder"],
            "agent_id": "agt_1", "branch_code": "1201", "mobile": mobile, "email": email, "city": city, "province": "تهران",
            "preferred_channel": "sms", "language": "fa", "consents": consents or [], "tags": [], "status": "active",
            "aggregate_version": version})
        self.wait_for(lambda: (self.db["profiles"].find_one({"_id": customer_id}) or {}).get("version", 0) >= version, 20,
                      "the customer projection")


@pytest.fixture
def campaign_rig(isolated: Any, sms_provider: FakeSmsProvider, push_provider: FakePushProvider,
                 smtp_server: tuple[SmtpCatcher, int], customer_service: tuple[FakeCustomerService, int]) -> Iterator[Callable[..., Rig]]:
    """``campaign_rig(now=NOON, processes=(...))`` starts the campaign processes against the fakes."""
    rigs: list[Rig] = []

    def start(now: str = NOON, processes: tuple[str, ...] = ("campaign-worker", "campaign-relay", "campaign-jobs", "campaign-grpc"),
              **env: str) -> Rig:
        plan = PortPlan.on_free_ports()
        plan.grpc["customer"] = customer_service[1]
        specs = [s for s in process_specs(plan, ("campaign",)) if s.name in processes]
        base = isolated.env(
            IDENTITY_SECRET=SECRET, SMS_BASE_URL=sms_provider.base_url, SMS_API_KEY=sms_provider.api_key,
            SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_server[1]), PUSH_BASE_URL=push_provider.base_url,
            DELIVERY_BACKOFF_SECONDS="0.3,0.6,1,2", JOB_INTERVAL_SECONDS="0.3", SENDER_IDLE_SLEEP_SECONDS="0.05",
            REPORT_POLL_SECONDS="0.5", CONSUMER_RETRY_DELAY_MS="200", RELAY_IDLE_SLEEP_SECONDS="0.05",
            CAMPAIGN_TEST_NOW=now, UNSUBSCRIBE_SECRET="unsubscribe-test-secret", **env)
        stack = Stack(specs, base, plan, isolated.tmp / f"logs-{len(rigs)}")
        rig = Rig(isolated, stack, sms_provider, push_provider, smtp_server[0], customer_service[0])
        rigs.append(rig)
        stack.start(*[s.name for s in specs], timeout=60)
        return rig

    yield start
    for rig in rigs:
        for channel in rig.channels:
            channel.close()
        for process in rig.stack.processes.values():
            process.stop(grace=5)


@pytest.fixture
def db(isolated: Any) -> Any:
    """The campaign database of the test, with its indexes and built-in templates (in-process tests)."""
    from peyvand_campaign.adapters import catalogue_repo
    from peyvand_campaign.adapters.collections import ensure_indexes
    from peyvand_campaign.service_layer import queueing
    from peyvand_runtime.settings import ProcessSettings

    database = store.connect("campaign", ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix))
    ensure_indexes(database)
    catalogue_repo.seed_builtin_templates(database)
    queueing._TEMPLATE_IDS.clear()  # name -> id cache of the process; every test has its own database
    return database
