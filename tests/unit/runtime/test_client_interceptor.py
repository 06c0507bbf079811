"""Every outgoing call gets a deadline, the correlation id and a signed identity."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from peyvand_runtime import correlation
from peyvand_runtime.grpc_client import PeyvandClientInterceptor, _ClientCallDetails, service_config
from peyvand_runtime.identity import service_caller, verify

SECRET = "client-test-secret"
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _intercept(metadata: list[tuple[str, str]] | None = None, timeout: float | None = None) -> Any:
    interceptor = PeyvandClientInterceptor(SECRET, lambda: service_caller("campaign-worker"), 1.5, clock=lambda: NOW)
    details = _ClientCallDetails("/peyvand.policy.v1.PolicyService/GetPolicy", timeout, metadata, None, None, None)
    return interceptor.intercept_unary_unary(lambda d, request: d, details, b"")


def test_a_call_without_deadline_gets_the_default() -> None:
    assert _intercept().timeout == 1.5
    assert _intercept(timeout=0.2).timeout == 0.2


def test_identity_and_correlation_id_are_added() -> None:
    with correlation.bound("req_flow_1"):
        metadata = dict(_intercept().metadata)
    assert metadata["x-correlation-id"] == "req_flow_1"
    assert verify(metadata["x-peyvand-identity"], SECRET, NOW).principal == "svc:campaign-worker"
    assert dict(_intercept().metadata)["x-correlation-id"].startswith("req_")


def test_metadata_given_by_the_caller_wins() -> None:
    metadata = dict(_intercept([("x-peyvand-identity", "bogus"), ("x-correlation-id", "req_mine")]).metadata)
    assert metadata == {"x-peyvand-identity": "bogus", "x-correlation-id": "req_mine"}


def test_service_config_retries_only_unavailable() -> None:
    config = json.loads(json.dumps(service_config(["peyvand.policy.v1.PolicyService"])))
    (method,) = config["methodConfig"]
    assert method["name"] == [{"service": "peyvand.policy.v1.PolicyService"}]
    assert method["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert method["retryPolicy"]["maxAttempts"] == 4
