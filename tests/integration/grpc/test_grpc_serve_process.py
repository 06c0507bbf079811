"""``serve()`` as a real process: it reports its ports, serves health, and on SIGTERM reports
NOT_SERVING, drains and exits 0."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVER_SCRIPT = """
import grpc
from peyvand_runtime.grpc_server import serve
from peyvand_runtime.settings import GrpcServerSettings

def add_servicers(server):
    echo = grpc.unary_unary_rpc_method_handler(lambda request, context: request)
    handler = grpc.method_handlers_generic_handler("peyvand.testing.v1.EchoService", {"Echo": echo})
    server.add_generic_rpc_handlers((handler,))
    return ["peyvand.testing.v1.EchoService"]

serve("echo", GrpcServerSettings(), add_servicers, readiness=lambda: True)
"""


class LogLines:
    """The child's JSON log lines, read on a thread so a silent child cannot hang the test."""

    def __init__(self, stream: Any) -> None:
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                self.lines.put({"msg": line.rstrip()})

    def wait_for(self, msg: str, timeout: float = 10.0) -> dict[str, Any]:
        while True:
            entry = self.lines.get(timeout=timeout)
            if entry.get("msg") == msg:
                return entry


@pytest.fixture
def echo_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], LogLines]]:
    env = {
        **os.environ,
        "PEYVAND_ENV": "test",
        "IDENTITY_SECRET": "process-test-secret",
        "GRPC_PORT": "0",
        "METRICS_PORT": "0",
        "GRPC_GRACE_SECONDS": "0.5",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER_SCRIPT],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        yield process, LogLines(process.stdout)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=5)


def test_sigterm_reports_not_serving_then_exits_cleanly(echo_process: tuple[subprocess.Popen[str], LogLines]) -> None:
    process, logs = echo_process
    grpc_port = logs.wait_for("grpc server listening")["grpc_port"]
    metrics_port = logs.wait_for("metrics server listening")["metrics_port"]
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/readyz", timeout=2) as ready:
        assert ready.status == 200

    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""), timeout=10)
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        process.send_signal(signal.SIGTERM)
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        with pytest.raises(grpc.RpcError):
            next(watch)  # the stream ends when the grace period is over

    assert process.wait(timeout=10) == 0
    assert logs.wait_for("grpc server stopped")["service"] == "echo"
