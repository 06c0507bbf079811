"""Probes and scrapes: health, reflection, /metrics, /livez and /readyz."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from peyvand_runtime.metrics_http import MetricsServer, start_metrics_server
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

PROBE_SERVICE = "peyvand.testing.v1.ProbeService"  # registered by conftest.spine_server
ProbeClient = Any  # conftest.ProbeClient, reached through fixtures
RunningServer = Any  # conftest.RunningServer


@pytest.fixture
def raw_channel(spine_server: RunningServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(spine_server.target) as channel:
        yield channel


@pytest.fixture
def metrics() -> Iterator[tuple[MetricsServer, int, dict[str, bool]]]:
    state = {"ready": True}
    server, port = start_metrics_server(0, readiness=lambda: state["ready"])
    try:
        yield server, port, state
    finally:
        server.stop()


def _get(port: int, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers["Content-Type"], refused.read().decode()


def test_health_answers_serving_without_an_identity(raw_channel: grpc.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(raw_channel)
    for service in ("", PROBE_SERVICE):
        answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_services(raw_channel: grpc.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(raw_channel)
    (answer,) = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=2)
    names = {s.name for s in answer.list_services_response.service}
    assert {PROBE_SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= names


def _handled(code: str) -> float:
    labels = {"grpc_service": PROBE_SERVICE, "grpc_method": "Refuse", "grpc_code": code}
    return REGISTRY.get_sample_value("grpc_server_handled_total", labels) or 0.0


def test_metrics_count_calls_by_status_code(client: ProbeClient, metrics: Any) -> None:
    _, port, _ = metrics
    before = {code: _handled(code) for code in ("INVALID_ARGUMENT", "ABORTED")}
    for kind in ("validation", "validation", "conflict"):
        with pytest.raises(grpc.RpcError):
            client.call("Refuse", {"kind": kind})
    assert _handled("INVALID_ARGUMENT") - before["INVALID_ARGUMENT"] == 2
    assert _handled("ABORTED") - before["ABORTED"] == 1

    status, content_type, body = _get(port, "/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=")
    families = {f.name: f for f in text_string_to_metric_families(body)}
    codes = {s.labels["grpc_code"] for s in families["grpc_server_handled"].samples if s.labels.get("grpc_method") == "Refuse"}
    assert {"INVALID_ARGUMENT", "ABORTED"} <= codes
    assert "grpc_server_handling_seconds" in families and "grpc_server_started" in families
    buckets = {s.labels["le"] for s in families["grpc_server_handling_seconds"].samples if "le" in s.labels}
    assert {"0.001", "10.0", "+Inf"} <= buckets


def test_unauthenticated_calls_are_counted_too(make_client: Any) -> None:
    labels = {"grpc_service": PROBE_SERVICE, "grpc_method": "Whoami", "grpc_code": "UNAUTHENTICATED"}
    before = REGISTRY.get_sample_value("grpc_server_handled_total", labels) or 0.0
    with pytest.raises(grpc.RpcError):
        make_client(signed=False).call("Whoami", {}, timeout=2)
    assert REGISTRY.get_sample_value("grpc_server_handled_total", labels) == before + 1


def test_livez_and_readyz_follow_readiness(metrics: Any) -> None:
    _, port, state = metrics
    assert _get(port, "/livez")[0] == 200
    assert _get(port, "/readyz")[0] == 200
    state["ready"] = False
    assert _get(port, "/readyz")[0] == 503
    assert _get(port, "/livez")[0] == 200
    assert _get(port, "/nope")[0] == 404


def test_a_failing_readiness_check_means_not_ready() -> None:
    def broken() -> bool:
        raise ConnectionError("store down")

    server, port = start_metrics_server(0, readiness=broken)
    try:
        assert _get(port, "/readyz")[0] == 503
    finally:
        server.stop()


def test_open_health_watches_do_not_take_the_servers_worker_threads(spine_server: RunningServer) -> None:
    """The gateway keeps a ``Health/Watch`` open per backend; more watches than the server has
    worker threads (8 here) must leave it free to answer every other call."""
    channels = [grpc.insecure_channel(spine_server.target) for _ in range(12)]
    streams = []
    try:
        for channel in channels:
            stream = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
            assert next(stream).status == health_pb2.HealthCheckResponse.SERVING  # the watch is open
            streams.append(stream)
        with grpc.insecure_channel(spine_server.target) as probe:
            answer = health_pb2_grpc.HealthStub(probe).Check(health_pb2.HealthCheckRequest(service=""), timeout=3)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        for stream in streams:
            stream.cancel()
        for channel in channels:
            channel.close()
