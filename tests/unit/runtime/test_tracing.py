"""Optional tracing: a server span continues the client's trace across gRPC metadata, an
event's consumer span continues its publisher's across AMQP headers, and with tracing off
(the default) nothing is created, sent or even imported."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from peyvand_runtime import tracing
from peyvand_runtime.envelope import Envelope
from peyvand_runtime.grpc_client import PeyvandClientInterceptor, make_channel
from peyvand_runtime.grpc_server import build_server
from peyvand_runtime.identity import service_caller
from peyvand_runtime.ids import new_id
from peyvand_runtime.logs import JsonFormatter
from peyvand_runtime.settings import GrpcServerSettings

SECRET = "tracing-test-secret"
SERVICE = "peyvand.test.v1.EchoService"
ROOT = Path(__file__).resolve().parents[3]


def _echo_handler(seen: list[dict[str, Any]]) -> grpc.GenericRpcHandler:
    def echo(request: bytes, context: grpc.ServicerContext) -> bytes:
        metadata = dict(context.invocation_metadata())
        record = logging.LogRecord("svc", logging.INFO, __file__, 1, "inside the servicer", (), None)
        seen.append({"traceparent": metadata.get("traceparent"), "log": json.loads(JsonFormatter("test-grpc").format(record))})
        return request

    return grpc.method_handlers_generic_handler(SERVICE, {"Echo": grpc.unary_unary_rpc_method_handler(echo)})


@pytest.fixture
def echo_call() -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    def add_servicers(server: grpc.Server) -> list[str]:
        server.add_generic_rpc_handlers((_echo_handler(seen),))
        return [SERVICE]

    server, port, _health = build_server("test", GrpcServerSettings(grpc_port=0, identity_secret=SECRET), add_servicers)
    interceptor = PeyvandClientInterceptor(SECRET, lambda: service_caller("test-client"), 5.0)
    channel = make_channel(f"127.0.0.1:{port}", [SERVICE], interceptors=[interceptor])
    call = channel.unary_unary(f"/{SERVICE}/Echo")
    try:
        yield call, seen
    finally:
        channel.close()
        server.stop(0).wait()


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    monkeypatch.setenv(tracing.ENABLED_ENV, "true")
    exporter = InMemorySpanExporter()
    assert tracing.configure("test", exporter=exporter) is True
    try:
        yield exporter
    finally:
        tracing.shutdown()


def test_the_server_span_is_a_child_of_the_client_span_across_metadata(echo_call: Any, spans: InMemorySpanExporter) -> None:
    call, seen = echo_call
    assert call(b"hello") == b"hello"

    finished = spans.get_finished_spans()
    (client,) = [s for s in finished if s.kind is SpanKind.CLIENT]
    (server,) = [s for s in finished if s.kind is SpanKind.SERVER]
    assert client.name == server.name == f"{SERVICE}/Echo"
    assert client.parent is None  # nothing was active: the call started the trace
    assert server.parent is not None and server.parent.is_remote
    assert server.parent.span_id == client.context.span_id
    assert server.context.trace_id == client.context.trace_id
    assert server.attributes["rpc.grpc.status_code"] == "OK" and client.attributes["rpc.grpc.status_code"] == "OK"

    # What crossed the wire, and what the servicer's log lines carry.
    (inside,) = seen
    assert inside["traceparent"].startswith(f"00-{client.context.trace_id:032x}-{client.context.span_id:016x}-")
    assert inside["log"]["trace_id"] == f"{server.context.trace_id:032x}"
    assert inside["log"]["span_id"] == f"{server.context.span_id:016x}"


def test_a_failing_call_marks_both_spans(echo_call: Any, spans: InMemorySpanExporter) -> None:
    call, _seen = echo_call
    with pytest.raises(grpc.RpcError) as raised:
        call(b"x", metadata=(("x-peyvand-identity", "forged"),))
    assert raised.value.code() is grpc.StatusCode.UNAUTHENTICATED
    by_kind = {s.kind: s for s in spans.get_finished_spans()}
    assert by_kind[SpanKind.CLIENT].attributes["rpc.grpc.status_code"] == "UNAUTHENTICATED"
    assert by_kind[SpanKind.CLIENT].status.is_ok is False
    assert by_kind[SpanKind.SERVER].attributes["rpc.grpc.status_code"] == "UNAUTHENTICATED"
    assert by_kind[SpanKind.SERVER].parent.span_id == by_kind[SpanKind.CLIENT].context.span_id


def test_the_consumer_span_continues_the_relay_span_across_amqp_headers(spans: InMemorySpanExporter) -> None:
    envelope = Envelope(new_id("evt"), "customer.merged", 1, "2026-01-01T00:00:00.000Z", "customer", "req_trace_1", {"x": 1})
    headers: dict[str, Any] = {"correlation_id": "req_trace_1"}
    tracing.inject_publish(headers, "customer.events", json.loads(envelope.to_json()))
    assert set(headers) == {"correlation_id", "traceparent"}  # the envelope itself is untouched

    tracing.remember_event_parent(envelope.event_id, headers)
    with tracing.consume_span(envelope, "PolicyWorker.handle_customer_merged"):
        pass

    by_kind = {s.kind: s for s in spans.get_finished_spans()}
    producer, consumer = by_kind[SpanKind.PRODUCER], by_kind[SpanKind.CONSUMER]
    assert consumer.parent.span_id == producer.context.span_id
    assert consumer.context.trace_id == producer.context.trace_id
    assert producer.attributes["peyvand.correlation_id"] == consumer.attributes["peyvand.correlation_id"] == "req_trace_1"
    assert tracing._event_parents == {}  # nothing left behind per event


def test_an_event_saved_during_a_request_is_published_in_that_request_s_trace(spans: InMemorySpanExporter) -> None:
    import datetime as dt

    from peyvand_runtime import outbox
    from peyvand_runtime.domain import DomainEvent

    with tracing.activated(tracing.start_client_span("peyvand.customer.v1.CustomerService/CreateCustomer")) as request_span:
        (stored,) = outbox.envelopes([DomainEvent("customer.created", {"customer_id": "cus_x"})], "customer", dt.datetime.now(dt.UTC), 1)
    tracing._end(request_span)
    envelope = json.loads(stored)
    parent = envelope.pop(outbox.TRACE_PARENT_FIELD)
    Envelope.parse(envelope)  # what the relay publishes is a plain envelope again

    headers: dict[str, Any] = {}
    tracing.inject_publish(headers, "customer.events", envelope, parent)
    by_kind = {s.kind: s for s in spans.get_finished_spans()}
    request, producer = by_kind[SpanKind.CLIENT], by_kind[SpanKind.PRODUCER]
    assert producer.context.trace_id == request.context.trace_id
    assert producer.parent.span_id == request.context.span_id


def test_with_tracing_off_no_span_is_created_or_sent(echo_call: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(tracing.ENABLED_ENV, raising=False)
    exporter = InMemorySpanExporter()
    assert tracing.configure("test", exporter=exporter) is False
    assert not tracing.enabled()

    call, seen = echo_call
    assert call(b"hello") == b"hello"
    headers: dict[str, Any] = {}
    tracing.inject_publish(headers, "customer.events", {"type": "customer.merged", "event_id": "evt_x"})

    assert exporter.get_finished_spans() == ()
    assert seen[0]["traceparent"] is None and "trace_id" not in seen[0]["log"]
    assert headers == {}


def test_with_tracing_off_the_sdk_is_never_imported() -> None:
    """The hooks cost a None check: a process that never turns tracing on loads no OpenTelemetry."""
    script = textwrap.dedent(
        """
        import sys
        from peyvand_runtime import consumer, grpc_client, grpc_interceptors, logs, relay, tracing
        assert tracing.configure("probe") is False
        with tracing.activated(tracing.start_server_span("/a.B/C", {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"})):
            pass
        assert tracing.current_ids() is None
        loaded = sorted(name for name in sys.modules if name.startswith("opentelemetry"))
        print(",".join(loaded))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != tracing.ENABLED_ENV}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
