"""Deadlines bound every call; UNAVAILABLE is retried transparently and nothing else is."""

from __future__ import annotations

import time
import uuid
from typing import Any

import grpc
import pytest
from peyvand_runtime.errors import ErrorDetails

RunningServer = Any  # conftest.RunningServer, reached through the fixture


def test_a_call_without_deadline_gets_the_clients_default(make_client: Any) -> None:
    client = make_client(default_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as raised:
        client.call("Slow", {"seconds": 3})
    elapsed = time.monotonic() - started
    assert raised.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert 0.25 <= elapsed < 1.0
    assert ErrorDetails.from_rpc_error(raised.value).code == "DEPENDENCY_UNAVAILABLE"


@pytest.mark.parametrize("how", ["abort", "store"])
def test_unavailable_twice_then_fine_is_retried_transparently(make_client: Any, spine_server: RunningServer, how: str) -> None:
    key = uuid.uuid4().hex
    answer, _ = make_client().call("Flaky", {"key": key, "failures": 2, "how": how})
    assert answer == {"attempt": 3}
    assert spine_server.probe.calls[key] == 3


def test_retries_stop_after_four_attempts(make_client: Any, spine_server: RunningServer) -> None:
    key = uuid.uuid4().hex
    with pytest.raises(grpc.RpcError) as raised:
        make_client().call("Flaky", {"key": key, "failures": 10, "how": "store"})
    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE
    assert ErrorDetails.from_rpc_error(raised.value).code == "STORE_UNAVAILABLE"
    assert spine_server.probe.calls[key] == 4


def test_internal_errors_are_not_retried(make_client: Any, spine_server: RunningServer) -> None:
    key = uuid.uuid4().hex
    with pytest.raises(grpc.RpcError) as raised:
        make_client().call("Flaky", {"key": key, "failures": 2, "how": "bug"})
    assert raised.value.code() is grpc.StatusCode.INTERNAL
    assert spine_server.probe.calls[key] == 1
