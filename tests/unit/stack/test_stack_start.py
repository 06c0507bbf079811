"""``Stack.start``: a process that fails to start leaves nothing the call started running."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from peyvand_devstack.ports import free_ports
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, ProcessSpec

# A process that answers /readyz 200 on METRICS_PORT until SIGTERM (what the stack's processes do).
READY = """
import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(os.environ["METRICS_PORT"])), H).serve_forever()
"""


def _stack(tmp_path: Path, *specs: ProcessSpec) -> Stack:
    return Stack(specs, {"PATH": "/usr/bin:/bin"}, PortPlan.on_free_ports(), tmp_path / "logs")


def test_a_failed_start_stops_the_processes_it_started(tmp_path: Path) -> None:
    ready_port, broken_port = free_ports(2)
    stack = _stack(
        tmp_path,
        ProcessSpec("ready", (sys.executable, "-c", READY), "worker", "test", metrics_port=ready_port),
        ProcessSpec("broken", (sys.executable, "-c", "import sys; print('no config'); sys.exit(3)"), "worker", "test",
                    metrics_port=broken_port),
    )
    with pytest.raises(RuntimeError, match="broken exited with 3"):
        stack.start(timeout=20)
    assert stack["ready"].proc is not None  # it was started...
    assert not stack["ready"].alive  # ...and stopped again
    assert stack["ready"].proc.returncode is not None


def test_processes_running_before_the_call_are_left_running(tmp_path: Path) -> None:
    ready_port, broken_port = free_ports(2)
    stack = _stack(
        tmp_path,
        ProcessSpec("ready", (sys.executable, "-c", READY), "worker", "test", metrics_port=ready_port),
        ProcessSpec("broken", (sys.executable, "-c", "import sys; sys.exit(3)"), "worker", "test", metrics_port=broken_port),
    )
    try:
        stack.start("ready", timeout=20)
        with pytest.raises(RuntimeError, match="broken exited"):
            stack.start(timeout=20)
        assert stack["ready"].alive  # not this call's to stop
    finally:
        stack.stop()
    assert not stack["ready"].alive
