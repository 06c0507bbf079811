"""The embedded MongoDB stand-in (nx-27017) run as a child process we own and stop."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from peyvand_devstack.ports import free_port, port_open
from peyvand_devstack.procs import cmdline, pid_alive

PID_GLOB = "nx-27017.*.pid"


# How nx-27017 serves connections: ``async`` (its default: an event loop handing every request
# to a worker thread) or ``threaded`` (a thread per connection, each request handled on it; its
# help calls it "for debugging"). Both take the same per-database lock around every operation.
# Threaded was measured and NOT made the default: faster on the campaign pipeline, but slower
# for batched updates, imports and GetCustomer (docs/adr/0020-embedded-store-server-mode.md; the
# 1M duplicate-scan failure first blamed on it was ours). ``NX_27017_MODE=threaded`` selects it.
SERVER_MODES = ("async", "threaded")
SERVER_MODULE = "peyvand_devstack.nx_main"  # in every server's argv (how leftovers are found)


def server_mode() -> str:
    mode = os.environ.get("NX_27017_MODE", "async")
    if mode not in SERVER_MODES:
        raise ValueError(f"NX_27017_MODE must be one of {', '.join(SERVER_MODES)}, not {mode!r}")
    return mode


def _server_command() -> list[str]:
    return [sys.executable, "-m", SERVER_MODULE, *(["--threaded"] if server_mode() == "threaded" else [])]


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM us when the parent dies (PR_SET_PDEATHSIG = 1)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)


def answers_as_mongo(uri: str, timeout_ms: int = 1000) -> bool:
    """True if a MongoDB server (or nx-27017) answers ``ping`` at ``uri``."""
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    client: MongoClient[dict[str, Any]] = MongoClient(
        uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms, socketTimeoutMS=timeout_ms
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def live_servers(data_dir: Path) -> list[int]:
    """Pids of nx-27017 servers still running on ``data_dir`` (from their pid files there)."""
    pids = []
    for pid_file in Path(data_dir).glob(PID_GLOB):
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        argv = " ".join(cmdline(pid))
        if pid_alive(pid) and "nx" in argv and str(Path(data_dir).resolve()) in argv:
            pids.append(pid)
    return pids


def remove_stale_pid_files(data_dir: Path) -> list[Path]:
    """Delete pid files in ``data_dir`` whose server is gone (after a SIGKILL they block a start)."""
    alive = set(live_servers(data_dir))
    removed = []
    for pid_file in Path(data_dir).glob(PID_GLOB):
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            pid = -1
        if pid not in alive:
            pid_file.unlink(missing_ok=True)
            removed.append(pid_file)
    return removed


class EmbeddedMongo:
    """An nx-27017 server on 127.0.0.1 with its data in ``data_dir`` (survives restarts)."""

    def __init__(self, data_dir: Path, port: int | None = None, log_file: Path | None = None, *, die_with_parent: bool = False) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.log_file = Path(log_file).resolve() if log_file else self.data_dir / "nx-27017.log"
        # die_with_parent: Linux ties the child to the *thread* that started it; only use it
        # from a main thread that lives as long as the server should (the CLI does).
        self.die_with_parent = die_with_parent
        self.last_start_seconds: float | None = None
        self.pid_file: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.is_running() and self._proc else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 20) -> None:
        """Start the server and wait until ``ping`` answers; raise RuntimeError if it exits."""
        if self.is_running():
            return
        began = time.monotonic()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_pid_files(self.data_dir)
        self.pid_file = self.data_dir / f"nx-27017.{self.port}.{os.getpid()}.{time.time_ns()}.pid"
        # nx-27017 logs everything to stderr as well as to --log-file: send stderr to our log
        # file (a pipe would fill up and stall the server) and its own copy to /dev/null
        with open(self.log_file, "ab") as log:
            self._proc = subprocess.Popen(
                [
                    *_server_command(),
                    "--data-dir",
                    str(self.data_dir),
                    "--host",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "--log-file",
                    os.devnull,
                    "--pid-file",
                    str(self.pid_file),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=_die_with_parent if self.die_with_parent else None,
            )
        deadline = began + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"nx-27017 on port {self.port} exited with {self._proc.returncode}; last log lines:\n{self.log_tail()}")
            # probe the socket first: a failed pymongo attempt backs off ~0.5 s before retrying
            if port_open("127.0.0.1", self.port, timeout=0.2) and answers_as_mongo(self.uri, 2000):
                self.last_start_seconds = time.monotonic() - began
                return
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"nx-27017 on port {self.port} did not answer ping within {timeout} s")

    def log_tail(self, lines: int = 10) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _reap(self) -> None:
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, wait up to ``grace`` s, then SIGKILL."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(grace)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._reap()

    def kill(self) -> None:
        """SIGKILL the server (a crash); its pid file stays behind, as after a real crash."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(5)

    def restart(self, timeout: float = 20) -> None:
        """Stop if running, then start again on the same port and data dir."""
        self.stop()
        self.start(timeout=timeout)

    def __enter__(self) -> EmbeddedMongo:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
