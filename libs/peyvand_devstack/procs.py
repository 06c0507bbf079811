"""Process helpers over /proc: is a pid alive, find processes by command line, stop with escalation."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path


def cmdline(pid: int) -> list[str]:
    """The argv of ``pid`` ([] if it is gone, a zombie, or unreadable)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def pid_alive(pid: int) -> bool:
    """True while any thread of ``pid`` is still running.

    A zombie counts as dead, but only once every thread has exited: after a SIGKILL the
    thread-group leader of a multi-threaded beam.smp shows "Z" while its other threads still
    hold the listening sockets open.
    """
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    for task in tasks:
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        # the state follows the parenthesised command name, which may itself contain spaces
        if stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
            return True
    return False


def find_pids(*needles: str) -> Iterator[int]:
    """Live pids whose argv (joined by spaces) contains every one of ``needles``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        joined = " ".join(cmdline(pid))
        if joined and all(n in joined for n in needles) and pid_alive(pid):
            yield pid


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` s for ``pid`` to exit; True if it did."""
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def signal_pid(pid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to ``pid``, ignoring a process that is already gone."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def terminate(pid: int, grace: float = 10.0) -> None:
    """SIGTERM ``pid``, then SIGKILL it if it has not exited after ``grace`` s."""
    if not pid_alive(pid):
        return
    signal_pid(pid, signal.SIGTERM)
    if not wait_gone(pid, grace):
        signal_pid(pid, signal.SIGKILL)
        wait_gone(pid, 5.0)
