"""An in-process customer gRPC server on the test's own database, and signed clients for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from peyvand.customer.v1 import customer_pb2 as pb
from peyvand.customer.v1 import customer_pb2_grpc
from peyvand_runtime.errors import ErrorDetails
from peyvand_runtime.grpc_client import PeyvandClientInterceptor, make_channel
from peyvand_runtime.grpc_server import build_server
from peyvand_runtime.identity import Caller, service_caller

SERVICE = "peyvand.customer.v1.CustomerService"
ADMIN = Caller("usr_01ADMIN", "user", "admin")
STAFF_1201 = Caller("usr_01STAFF", "user", "staff", branch_codes=("1201",))
AGENT_A = Caller("usr_01AGENTA", "user", "agent", agent_id="agt_A", branch_codes=("1201",))
AGENT_B = Caller("usr_01AGENTB", "user", "agent", agent_id="agt_B", branch_codes=("1202",))
CAMPAIGN = service_caller("campaign-worker")


def national_id(head: str) -> str:
    total = sum(int(d) * w for d, w in zip(head, range(10, 1, -1), strict=True))
    r = total % 11
    return head + str(r if r < 2 else 11 - r)


@dataclass
class CustomerApi:
    """The server under test plus the callers and helpers tests use (importlib mode: no shared imports)."""

    ADMIN = ADMIN
    STAFF_1201 = STAFF_1201
    AGENT_A = AGENT_A
    AGENT_B = AGENT_B
    CAMPAIGN = CAMPAIGN

    ctx: Any
    port: int
    channels: list[grpc.Channel]
    secret: str

    def stub(self, caller: Caller = ADMIN) -> customer_pb2_grpc.CustomerServiceStub:
        interceptor = PeyvandClientInterceptor(self.secret, lambda: caller, 10.0, clock=lambda: dt.datetime.now(dt.UTC))
        channel = make_channel(f"127.0.0.1:{self.port}", [SERVICE], interceptors=[interceptor])
        self.channels.append(channel)
        return customer_pb2_grpc.CustomerServiceStub(channel)

    @staticmethod
    def national_id(head: str) -> str:
        return national_id(head)

    @staticmethod
    def error_of(call: Callable[[], Any]) -> ErrorDetails:
        return error_of(call)

    def create(self, caller: Caller = ADMIN, override: bool = False, **fields: Any) -> pb.CreateCustomerResponse:
        points = fields.pop("contact_points", [pb.ContactPoint(kind="mobile", value="09121234567")])
        fields.setdefault("kind", pb.PERSON)
        return self.stub(caller).CreateCustomer(
            pb.CreateCustomerRequest(customer=pb.CustomerInput(contact_points=points, **fields), override_duplicate_warning=override)
        )


@pytest.fixture
def api(isolated) -> Iterator[CustomerApi]:  # type: ignore[no-untyped-def]
    from peyvand_customer.entrypoints.grpc_main import add_servicers_for, build_context
    from peyvand_customer.settings import CustomerGrpcSettings

    settings = CustomerGrpcSettings(grpc_port=0, grpc_max_workers=8)
    ctx = build_context(settings)
    server, port, _ = build_server("customer", settings, add_servicers_for(ctx))
    built = CustomerApi(ctx, port, [], settings.identity_secret)
    try:
        yield built
    finally:
        for channel in built.channels:
            channel.close()
        server.stop(0).wait()


def error_of(call: Callable[[], Any]) -> ErrorDetails:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return ErrorDetails.from_rpc_error(caught.value)
