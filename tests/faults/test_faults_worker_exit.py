"""A worker whose nameko container died must end its process (exit 1) so a supervisor restarts
it, instead of living on consuming nothing (seen when the broker went away mid-ack)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

DYING = Path(__file__).resolve().parent / "dying_worker.py"


def test_a_worker_whose_container_died_exits_instead_of_idling(isolated) -> None:  # type: ignore[no-untyped-def]
    began = time.monotonic()
    done = subprocess.run([sys.executable, str(DYING)], env=isolated.env(METRICS_PORT="0"), capture_output=True, text=True, timeout=60)
    seconds = time.monotonic() - began
    print(f"\ndying worker exited with {done.returncode} after {seconds:.1f} s")
    assert done.returncode == 1, done.stderr[-2000:]
    assert "worker container died" in done.stdout + done.stderr
