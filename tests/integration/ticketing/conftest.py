"""Fixtures for ticketing integration tests: an in-process ticketing gRPC server on the private
store with a clock the test moves, signed clients per caller, and the worker as a real process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from peyvand.ticketing.v1 import ticketing_pb2_grpc
from peyvand_runtime import store
from peyvand_runtime.grpc_client import PeyvandClientInterceptor, make_channel
from peyvand_runtime.grpc_server import build_server
from peyvand_runtime.identity import Caller
from peyvand_runtime.settings import GrpcServerSettings, ProcessSettings
from peyvand_runtime.tehran_time import TEHRAN
from peyvand_ticketing.adapters import customer_refs
from peyvand_ticketing.entrypoints.grpc_main import make_add_servicers
from peyvand_ticketing.service_layer.context import Context, bootstrap

SATURDAY = dt.date(2026, 11, 21)
assert SATURDAY.weekday() == 5
ADMIN = Caller("usr_admin", "user", "admin")
STAFF = Caller("usr_staff_1201", "user", "staff", branch_codes=("1201",))
OTHER_STAFF = Caller("usr_staff_1301", "user", "staff", branch_codes=("1301",))
MANAGER = Caller("usr_mgr_tehran", "user", "manager", branch_codes=("1201", "1202"), region_code="tehran")
AGENT = Caller("usr_agent7", "user", "agent", agent_id="agt_7")
OTHER_AGENT = Caller("usr_agent8", "user", "agent", agent_id="agt_8")


def tehran(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TEHRAN).astimezone(dt.UTC)


@dataclass
class Clock:
    now: dt.datetime = field(default_factory=lambda: tehran(SATURDAY, 9))

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


@dataclass
class TicketingServer:
    ctx: Context
    clock: Clock
    port: int
    secret: str
    channels: list[grpc.Channel] = field(default_factory=list)

    def client(self, caller: Caller) -> ticketing_pb2_grpc.TicketingServiceStub:
        interceptor = PeyvandClientInterceptor(self.secret, lambda: caller, 10.0, clock=lambda: dt.datetime.now(dt.UTC))
        channel = make_channel(f"127.0.0.1:{self.port}", ["peyvand.ticketing.v1.TicketingService"], interceptors=[interceptor])
        self.channels.append(channel)
        return ticketing_pb2_grpc.TicketingServiceStub(channel)

    def customer(self, customer_id: str, agent_id: str = "agt_7", branch_code: str = "1201", version: int = 1) -> str:
        customer_refs.apply_snapshot(self.ctx.db, {"customer_id": customer_id, "agent_id": agent_id, "branch_code": branch_code,
                                                   "display_name": "مشتری آزمایشی", "aggregate_version": version})
        return customer_id

    def outbox_types(self, collection: str, record_id: str) -> list[str]:
        import json

        doc = self.ctx.db[collection].find_one({"_id": record_id}) or {}
        return [json.loads(raw)["type"] for raw in doc.get("outbox", [])]


@pytest.fixture
def ticketing_db(isolated) -> Any:  # type: ignore[no-untyped-def]
    settings = ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix)
    return store.connect("ticketing", settings)


@pytest.fixture
def server(isolated, ticketing_db) -> Iterator[TicketingServer]:  # type: ignore[no-untyped-def]
    clock = Clock()
    ctx = bootstrap(ticketing_db, seed_years=[], calendar_ttl=0.0, clock=clock)
    secret = isolated.env()["IDENTITY_SECRET"]
    settings = GrpcServerSettings(peyvand_env="test", identity_secret=secret, grpc_port=0, grpc_max_workers=8)
    grpc_server, port, _health = build_server("ticketing", settings, make_add_servicers(ctx))
    running = TicketingServer(ctx, clock, port, secret)
    try:
        yield running
    finally:
        for channel in running.channels:
            channel.close()
        grpc_server.stop(0).wait()


@pytest.fixture
def errors() -> Callable[[grpc.RpcError], Any]:
    from peyvand_runtime.errors import ErrorDetails

    return ErrorDetails.from_rpc_error
