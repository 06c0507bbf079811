"""An in-process Peyvand gRPC server with a JSON-over-bytes probe service, and clients for it."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from peyvand_runtime import correlation
from peyvand_runtime.domain import DomainError, FieldViolation, ValidationError, VersionConflict
from peyvand_runtime.grpc_client import PeyvandClientInterceptor, make_channel
from peyvand_runtime.grpc_server import build_server
from peyvand_runtime.identity import Caller, current_caller, current_caller_or_none
from peyvand_runtime.settings import GrpcServerSettings

SECRET = "integration-test-identity-secret-0123456789"
PROBE_SERVICE = "peyvand.testing.v1.ProbeService"
STAFF = Caller("usr_01JSTAFF", "user", "staff", branch_codes=("1201",))


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def _loads(raw: bytes) -> Any:
    return json.loads(raw) if raw else None


@dataclass
class ProbeServicer:
    """Handlers that do what the request asks: answer, refuse, stall or fail a few times."""

    calls: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def whoami(self, request: dict[str, Any], context: grpc.ServicerContext) -> dict[str, Any]:
        caller = current_caller_or_none()
        return {"principal": caller.principal if caller else None, "correlation_id": correlation.current()}

    def refuse(self, request: dict[str, Any], context: grpc.ServicerContext) -> dict[str, Any]:
        kind = request["kind"]
        if kind == "validation":
            raise ValidationError(
                [
                    FieldViolation("national_id", "check digit does not match"),
                    FieldViolation("birth_date", "in the future"),
                ]
            )
        if kind == "conflict":
            raise VersionConflict("the policy changed meanwhile", metadata={"current_version": "4"})
        if kind == "not_found":
            raise DomainError("بیمه‌نامه پیدا نشد", code="POLICY_NOT_FOUND")
        raise KeyError("secret-bug-detail 0912-000-0000")

    def slow(self, request: dict[str, Any], context: grpc.ServicerContext) -> dict[str, Any]:
        until = time.monotonic() + request["seconds"]
        while time.monotonic() < until and context.is_active():
            time.sleep(0.01)
        return {}

    def flaky(self, request: dict[str, Any], context: grpc.ServicerContext) -> dict[str, Any]:
        with self.lock:
            self.calls[request["key"]] += 1
            attempt = self.calls[request["key"]]
        if attempt <= request["failures"]:
            if request["how"] == "abort":
                context.abort(grpc.StatusCode.UNAVAILABLE, "warming up")
            if request["how"] == "store":
                from pymongo.errors import AutoReconnect

                raise AutoReconnect("connection reset")
            raise RuntimeError("broken")
        return {"attempt": attempt}

    def countdown(self, request: dict[str, Any], context: grpc.ServicerContext) -> Iterator[dict[str, Any]]:
        for n in range(request["n"], 0, -1):
            if n == request.get("fail_at"):
                raise VersionConflict("changed while streaming")
            yield {"n": n, "principal": current_caller().principal, "correlation_id": correlation.current()}

    def total(self, requests: Iterator[dict[str, Any]], context: grpc.ServicerContext) -> dict[str, Any]:
        return {"total": sum(r["rials"] for r in requests), "principal": current_caller().principal}

    def handler(self) -> grpc.GenericRpcHandler:
        codec = {"request_deserializer": _loads, "response_serializer": _dumps}
        return grpc.method_handlers_generic_handler(
            PROBE_SERVICE,
            {
                "Whoami": grpc.unary_unary_rpc_method_handler(self.whoami, **codec),
                "Refuse": grpc.unary_unary_rpc_method_handler(self.refuse, **codec),
                "Slow": grpc.unary_unary_rpc_method_handler(self.slow, **codec),
                "Flaky": grpc.unary_unary_rpc_method_handler(self.flaky, **codec),
                "Countdown": grpc.unary_stream_rpc_method_handler(self.countdown, **codec),
                "Total": grpc.stream_unary_rpc_method_handler(self.total, **codec),
            },
        )


@dataclass
class RunningServer:
    """The server under test, and what tests need to talk to it (tests import nothing from here)."""

    port: int
    health: Any
    probe: ProbeServicer
    secret: str = SECRET
    service: str = PROBE_SERVICE
    caller: Caller = STAFF

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def spine_server() -> Iterator[RunningServer]:
    probe = ProbeServicer()

    def add_servicers(server: grpc.Server) -> list[str]:
        server.add_generic_rpc_handlers((probe.handler(),))
        return [PROBE_SERVICE]

    settings = GrpcServerSettings(peyvand_env="test", identity_secret=SECRET, grpc_port=0, grpc_max_workers=8)
    server, port, health = build_server("probe", settings, add_servicers)
    try:
        yield RunningServer(port, health, probe)
    finally:
        server.stop(0).wait()


class ProbeClient:
    """Calls probe methods by name with JSON payloads over one channel."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel

    def call(self, method: str, payload: Any, **kwargs: Any) -> tuple[Any, grpc.Call]:
        stub = self.channel.unary_unary(f"/{PROBE_SERVICE}/{method}", request_serializer=_dumps, response_deserializer=_loads)
        answer: tuple[Any, grpc.Call] = stub.with_call(payload, **kwargs)
        return answer

    def stream(self, method: str, payload: Any, **kwargs: Any) -> list[Any]:
        stub = self.channel.unary_stream(f"/{PROBE_SERVICE}/{method}", request_serializer=_dumps, response_deserializer=_loads)
        return list(stub(payload, **kwargs))

    def send_stream(self, method: str, payloads: list[Any], **kwargs: Any) -> Any:
        stub = self.channel.stream_unary(f"/{PROBE_SERVICE}/{method}", request_serializer=_dumps, response_deserializer=_loads)
        return stub(iter(payloads), **kwargs)


@pytest.fixture
def make_client(spine_server: RunningServer) -> Iterator[Any]:
    """``make_client(caller=STAFF, default_timeout=2.0, signed=True)``: a fresh channel each time."""
    channels: list[grpc.Channel] = []

    def build(caller: Caller = STAFF, default_timeout: float = 2.0, signed: bool = True) -> ProbeClient:
        now = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
        interceptors = [PeyvandClientInterceptor(SECRET, lambda: caller, default_timeout, clock=now)] if signed else []
        channel = make_channel(spine_server.target, [PROBE_SERVICE], interceptors=interceptors)
        channels.append(channel)
        return ProbeClient(channel)

    yield build
    for channel in channels:
        channel.close()


@pytest.fixture
def client(make_client: Any) -> ProbeClient:
    built: ProbeClient = make_client()
    return built
