"""Support for the policy integration tests against the private store and broker: an in-process gRPC
server with a settable clock, signed clients per caller, and helpers to issue policies and
read the events waiting in the policies' outbox."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import grpc
from peyvand.policy.v1 import policy_pb2_grpc
from peyvand_policy.service_layer import policies, quotes
from peyvand_policy.service_layer.context import PolicyServices
from peyvand_runtime import identity
from peyvand_runtime.grpc_client import PeyvandClientInterceptor, make_channel
from peyvand_runtime.identity import Caller, service_caller
from peyvand_runtime.tehran_time import TEHRAN

SECRET = "test-secret-" + "x" * 32
SERVICE = "peyvand.policy.v1.PolicyService"
AGENT_A = "agt_01JAGENTAAAAAAAAAAAAAAAAAA"
AGENT_B = "agt_01JAGENTBBBBBBBBBBBBBBBBBB"
BRANCH = "1021"
OTHER_BRANCH = "2030"
ADMIN = Caller("usr_01JADMIN", "user", "admin")
STAFF = Caller("usr_01JSTAFF", "user", "staff", branch_codes=(BRANCH,))
AGENT_A_CALLER = Caller("usr_01JAGENTA", "user", "agent", agent_id=AGENT_A, branch_codes=(BRANCH,))
AGENT_B_CALLER = Caller("usr_01JAGENTB", "user", "agent", agent_id=AGENT_B, branch_codes=(BRANCH,))
TPL_INPUTS = {"vehicle_type": "passenger_car", "usage": "personal", "engine_cc": "1600", "no_claims_years": "3"}


@dataclass
class Clock:
    """The service's clock: noon Tehran time on ``today`` unless set otherwise."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime(2026, 3, 1, 12, tzinfo=TEHRAN).astimezone(dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now

    def set_day(self, day: dt.date) -> None:
        self.now = dt.datetime.combine(day, dt.time(12), TEHRAN).astimezone(dt.UTC)


@dataclass
class PolicyEnv:
    database: Any
    services: PolicyServices
    clock: Clock
    port: int
    isolated: Any
    channels: list[grpc.Channel] = field(default_factory=list)

    def stub(self, caller: Caller = ADMIN) -> policy_pb2_grpc.PolicyServiceStub:
        now = lambda: dt.datetime.now(dt.UTC)  # noqa: E731 - identity tokens use real time
        channel = make_channel(f"127.0.0.1:{self.port}", [SERVICE],
                               interceptors=[PeyvandClientInterceptor(SECRET, lambda: caller, 10.0, clock=now)])
        self.channels.append(channel)
        return policy_pb2_grpc.PolicyServiceStub(channel)

    def issue(self, holder: str, start: dt.date, *, agent: str = AGENT_A, branch: str = BRANCH, product: str = "motor_tpl",
              inputs: dict[str, Any] | None = None) -> Any:
        """Issue a policy through the use cases, as if on ``start`` (its first day)."""
        self.clock.set_day(start)
        with identity.bound(service_caller("policy-tests")):
            quote = quotes.create_quote(self.services, quotes.CreateQuote(
                product_code=product, holder_id=holder, agent_id=agent, branch_code=branch, inputs=inputs or dict(TPL_INPUTS)))
            policy, _ = policies.issue_policy(self.services, quote.id)
        return policy

    def envelopes(self, event_type: str) -> list[dict[str, Any]]:
        """Every envelope of ``event_type`` in the policies' outbox (no relay runs in these tests)."""
        found = []
        for doc in self.database["policies"].find({"outbox_pending": 1}, {"outbox": 1}):
            for raw in doc.get("outbox") or []:
                envelope = json.loads(raw)
                if envelope["type"] == event_type:
                    found.append(envelope)
        return found


