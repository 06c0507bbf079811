"""Hypothesis over every gRPC method of customer, policy, ticketing and campaign (the real
processes), with random and edge-case messages built from the proto descriptors and a valid
signed identity: a proper answer or a client error, never INTERNAL or UNKNOWN.

The streaming methods are fed the same way (ImportCustomers gets a stream of rows,
ExportCustomers is read to its end).
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
from typing import Any

import grpc
import hypothesis
import pytest
from google.protobuf.message_factory import GetMessageClass
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peyvand_runtime.identity import GRPC_METADATA_KEY, Caller, sign
from proto_strategies import messages
from security_stack import AGENT_1, AGENT_3, IDENTITY_SECRET, SecurityStack, national_id

SERVICES = ("customer", "policy", "ticketing", "campaign")
ACCEPTABLE = {
    grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ABORTED, grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.OUT_OF_RANGE,
}
CALLERS = (
    Caller("usr_01JG0000000000000000000MB5", "user", "admin"),
    Caller("usr_01JG0000000000000000000MB1", "user", "agent", agent_id=AGENT_1, branch_codes=("1021",)),
    Caller("usr_01JG0000000000000000000MB2", "user", "staff", branch_codes=("1021",)),
    Caller("usr_01JG0000000000000000000MB4", "user", "marketing"),
    Caller("svc:security-fuzz", "service", "service"),
)
# Real values (column names, codes) so generated requests also get past the first lookups.
KNOWN = (
    "first_name", "last_name", "national_id", "mobile", "email", "birth_date", "branch_code", "agent_id", "kind", "person", "organisation",
    "1021", "3101", AGENT_1, AGENT_3, "motor_tpl", "travel", "complaint", "claim_delay", "sms", "email", "push", "marketing", "service",
    "09121234567", "+989121234567", "۰۹۱۲۱۲۳۴۵۶۷", "1405/09/01", "2026-11-22", "open", "resolved", "renewal",
)
# The unsubscribe token is the caller's credential there: a forged one is UNAUTHENTICATED.
ALSO_ACCEPTABLE = {"Unsubscribe": {grpc.StatusCode.UNAUTHENTICATED}}
EXAMPLES_PER_METHOD = 20


def _methods() -> list[tuple[str, Any]]:
    found = []
    for service in SERVICES:
        module = importlib.import_module(f"peyvand.{service}.v1.{service}_pb2")
        for descriptor in module.DESCRIPTOR.services_by_name.values():
            found.extend((service, method) for method in descriptor.methods)
    return found


METHODS = _methods()


@pytest.fixture(scope="module")
def fuzz_ids(sec: SecurityStack) -> tuple[str, ...]:
    """Two customers of the fuzzer's own (the seeded ones stay untouched for the access matrix)."""
    ids = []
    for name in ("پرویز", "پروین"):
        head = f"{random.Random().randrange(10**8, 10**9):09d}"
        answer = sec.call(
            "POST", "/api/v1/customers",
            {"kind": "person", "first_name": name, "last_name": "فازی", "national_id": national_id(head), "branch_code": "1021", "agent_id": AGENT_1},
            "admin",
        )
        assert answer.status == 201, answer.body
        ids.append(answer.body["customer_id"])
    return tuple(ids)


def test_every_method_of_every_service_is_fuzzed() -> None:
    assert {s for s, _ in METHODS} == set(SERVICES)
    assert len(METHODS) >= 60
    names = {m.name for _, m in METHODS}
    assert {"ImportCustomers", "ExportCustomers"} <= names


@pytest.mark.parametrize(("service", "method"), METHODS, ids=[f"{s}.{m.name}" for s, m in METHODS])
def test_hostile_messages_never_get_internal_or_unknown(sec: SecurityStack, fuzz_ids: tuple[str, ...], service: str, method: Any) -> None:
    known = (*KNOWN, *fuzz_ids)
    path = f"/{method.containing_service.full_name}/{method.name}"
    request_class = messages(method.input_type, known)
    decode = GetMessageClass(method.output_type).FromString
    requests = st.lists(request_class, min_size=0, max_size=3) if method.client_streaming else request_class
    failures: list[str] = []

    with grpc.insecure_channel(sec.grpc_addr(service), options=[("grpc.max_send_message_length", 16 << 20)]) as channel:
        if method.client_streaming:
            stub = channel.stream_unary(path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=decode)
        elif method.server_streaming:
            stub = channel.unary_stream(path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=decode)
        else:
            stub = channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=decode)

        @settings(
            max_examples=EXAMPLES_PER_METHOD, derandomize=True, database=None, deadline=None, phases=[hypothesis.Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(request=requests, caller=st.sampled_from(CALLERS))
        def run(request: Any, caller: Caller) -> None:
            metadata = ((GRPC_METADATA_KEY, sign(caller, IDENTITY_SECRET, dt.datetime.now(dt.UTC))),)
            try:
                if method.client_streaming:
                    stub(iter(request), metadata=metadata, timeout=20)
                elif method.server_streaming:
                    for _chunk in stub(request, metadata=metadata, timeout=20):
                        pass
                else:
                    stub(request, metadata=metadata, timeout=20)
            except grpc.RpcError as error:
                if error.code() not in ACCEPTABLE | ALSO_ACCEPTABLE.get(method.name, set()):
                    shown = repr(request)[:400]
                    failures.append(f"{caller.role}: {error.code().name} {error.details()!r} for {shown}")

        run()
    assert not failures, f"{service}.{method.name}: {len(failures)} bad answers:\n" + "\n".join(failures[:5])
