"""Start, watch, kill and restart stack processes from tests and benchmarks."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from peyvand_stack.processes import PortPlan, ProcessSpec, process_env


def http_ready(port: int, path: str = "/readyz", timeout: float = 0.5) -> bool:
    """True if an HTTP server on ``port`` answers ``path`` with 200; anything else (nothing
    listening, an error status, a server that does not speak HTTP/1.1) is "not ready"."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, http.client.HTTPException):
        return False


class StackProcess:
    """One process of the stack, run as a child with its output in a log file."""

    def __init__(self, spec: ProcessSpec, env: dict[str, str], log_dir: Path) -> None:
        self.spec = spec
        self.env = env
        self.log_path = log_dir / f"{spec.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(list(self.spec.argv), env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def ready(self) -> bool:
        if not self.alive:
            return False
        port = self.spec.http_port if self.spec.kind == "http" else self.spec.metrics_port
        path = "/readyz"
        return port is not None and http_ready(port, path)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready():
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")

    def stop(self, grace: float = 10) -> None:
        if not self.alive or self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


class Stack:
    """A set of processes sharing one environment (store URI, broker URI, secrets, ports)."""

    def __init__(self, specs: Iterable[ProcessSpec], base_env: dict[str, str], plan: PortPlan, log_dir: Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.plan = plan
        self.processes = {spec.name: StackProcess(spec, process_env(spec, base_env, plan), log_dir) for spec in specs}

    def __getitem__(self, name: str) -> StackProcess:
        return self.processes[name]

    def start(self, *names: str, timeout: float = 40) -> None:
        """Start the named processes (all by default) and wait until each is ready.

        If one fails to start or to get ready, the processes this call started are stopped
        before the error is raised: a failed start leaves nothing running behind the caller
        (processes already running before the call are left as they were).
        """
        chosen = [self.processes[n] for n in (names or tuple(self.processes))]
        started: list[StackProcess] = []
        try:
            for process in chosen:
                if not process.alive:
                    process.start()
                    started.append(process)
            for process in chosen:
                process.wait_ready(timeout)
        except BaseException:
            for process in reversed(started):
                process.stop()
            raise

    def stop(self, *names: str) -> None:
        for process in reversed([self.processes[n] for n in (names or tuple(self.processes))]):
            process.stop()
