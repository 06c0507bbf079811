"""A small process supervisor for `make run`: ordered start, prefixed output, clean stop.

Each child runs in its own process group; every line it prints is shown prefixed with its
name. Ctrl-C (or SIGTERM) stops everything: SIGTERM, a grace period, then SIGKILL, so no
process is left behind. The pids of the children are written to ``run/pids.json`` so the
next run can clear leftovers of a run that was killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from peyvand_devstack.procs import cmdline, pid_alive

COLOURS = ("36", "33", "32", "35", "34", "31", "96", "93", "92", "95", "94", "91")


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    ready: Callable[[], bool] | None = None
    proc: subprocess.Popen[bytes] | None = None
    colour: str = "0"
    pump: threading.Thread | None = field(default=None, repr=False)
    infrastructure: bool = False  # stopped after every other child (the store, stand-ins)


class Supervisor:
    def __init__(self, run_dir: Path, colour: bool | None = None) -> None:
        self.run_dir = run_dir
        self.children: list[Child] = []
        self.colour = sys.stdout.isatty() if colour is None else colour
        self.width = 16
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        # Whoever started us (make, a shell). If it goes away without signalling us (make
        # killed outright: SIGKILL, `timeout -k`, the OOM killer), we are re-parented and stop
        # too, instead of leaving the whole stack running with nobody to stop it.
        self.parent = os.getppid()

    # -- output ---------------------------------------------------------------------------
    def say(self, name: str, line: str, colour: str = "1") -> None:
        prefix = f"{name:<{self.width}}|"
        if self.colour:
            prefix = f"\033[{colour}m{prefix}\033[0m"
        with self._lock:
            sys.stdout.write(f"{prefix} {line}\n")
            sys.stdout.flush()

    def _pump(self, child: Child) -> None:
        assert child.proc is not None and child.proc.stdout is not None
        for raw in iter(child.proc.stdout.readline, b""):
            self.say(child.name, raw.decode("utf-8", "replace").rstrip("\n"), child.colour)

    # -- leftovers --------------------------------------------------------------------------
    @property
    def pid_file(self) -> Path:
        return self.run_dir / "pids.json"

    def clear_leftovers(self) -> None:
        """Stop children of an earlier run that was killed before it could stop them."""
        try:
            recorded = json.loads(self.pid_file.read_text())
        except (OSError, ValueError):
            return
        for entry in recorded:
            pid, argv = int(entry["pid"]), entry["argv"]
            if pid_alive(pid) and cmdline(pid)[: len(argv)] == argv:
                self.say("supervisor", f"stopping a leftover {entry['name']} (pid {pid}) from an earlier run")
                try:
                    os.killpg(pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
                deadline = time.monotonic() + 8
                while pid_alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if pid_alive(pid):
                    os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)

    def _record_pids(self) -> None:
        entries = [{"name": c.name, "pid": c.proc.pid, "argv": c.argv} for c in self.children if c.proc]
        self.pid_file.write_text(json.dumps(entries))

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, child: Child) -> None:
        child.colour = COLOURS[len(self.children) % len(COLOURS)]
        child.proc = subprocess.Popen(child.argv, env=child.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        child.pump = threading.Thread(target=self._pump, args=(child,), daemon=True)
        child.pump.start()
        self.children.append(child)
        self._record_pids()

    def wait_ready(self, children: list[Child], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        pending = [c for c in children if c.ready is not None]
        while pending:
            if self.stopping.is_set():
                raise KeyboardInterrupt
            for child in list(pending):
                if child.proc is not None and child.proc.poll() is not None:
                    raise RuntimeError(f"{child.name} exited with code {child.proc.returncode} while starting")
                if child.ready and child.ready():
                    pending.remove(child)
            if time.monotonic() > deadline:
                raise RuntimeError("not ready in time: " + ", ".join(c.name for c in pending))
            time.sleep(0.2)

    def watch(self) -> int:
        """Block until Ctrl-C/SIGTERM or the process that started us is gone (exit 0), or a
        child dies unexpectedly (exit 1)."""
        while not self.stopping.wait(0.5):
            if os.getppid() != self.parent:
                self.say("supervisor", "the process that started the stack is gone; stopping everything")
                return 0
            for child in self.children:
                if child.proc is not None and child.proc.poll() is not None:
                    self.say("supervisor", f"{child.name} exited with code {child.proc.returncode}; stopping everything")
                    return 1
        return 0

    def stop_all(self, grace: float = 10) -> None:
        # The services first, then what they depend on (the store, the outside-world stand-ins):
        # stopping the store with them made a sender in mid-claim log a store failure on Ctrl-C.
        self._stop([c for c in self.children if not c.infrastructure], grace)
        self._stop([c for c in self.children if c.infrastructure], grace)
        for child in self.children:
            if child.pump is not None:
                child.pump.join(1)
        self.pid_file.unlink(missing_ok=True)

    def _stop(self, children: list[Child], grace: float) -> None:
        alive = [c for c in children if c.proc is not None and c.proc.poll() is None]
        for child in reversed(alive):
            try:
                os.killpg(child.proc.pid, signal.SIGTERM)  # type: ignore[union-attr]
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        for child in alive:
            assert child.proc is not None
            try:
                child.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say("supervisor", f"{child.name} did not stop in {grace:.0f} s; killing it")
                try:
                    os.killpg(child.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                child.proc.wait(5)
