"""How fast and how quiet the host is, recorded with every bench run.

This project's hosts have differed by 2.5× in pure-Python speed from one session to the next
(docs/benchmarks.md, rounds 4–8), and absolute figures (issues/s, calls/s, seconds) move with
them. Every result file therefore carries two facts about the host:

- **CPU speed**: the best of a few timed runs of a fixed pure-Python loop, scaled to 10 million
  additions (the yardstick the benchmark notes have used by hand since round 4). Lower is faster;
  taken at the start and at the end of the run, before and after the suites' own load.
- **I/O stall**: the share of the run's wall time in which every task on the machine was stalled
  on I/O (``/proc/pressure/io``, the ``full`` line), when the kernel exposes PSI.

Comparing a figure across hosts means comparing it with these beside it; within one run the
ratios against the same-run baselines already carry the host.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

LOOP = 2_000_000
SCALE = 10_000_000 / LOOP
PSI_IO = Path("/proc/pressure/io")


# Module-level code, run with its own globals: the same bytecode as the hand-timed
# ``python -c "s=0\nfor i in range(10_000_000): s+=i"`` of the earlier notes (global names are
# slower than a function's locals, so a loop inside a function would not compare with them).
_LOOP_CODE = compile("s = 0\nfor i in range(n):\n    s += i\n", "<hostprobe>", "exec")


def _loop(n: int) -> None:
    exec(_LOOP_CODE, {"n": n})  # noqa: S102 - a constant, compiled above


def cpu_probe_seconds(runs: int = 3, loop: int = LOOP) -> float:
    """Seconds a 10M-addition pure-Python loop takes on this host: the fastest of ``runs`` timed
    runs of ``loop`` additions, scaled (the fastest run is the one least disturbed by others)."""
    if runs < 1 or loop < 1:
        raise ValueError("runs and loop must be positive")
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        _loop(loop)
        best = min(best, time.perf_counter() - began)
    return best * (10_000_000 / loop)


def parse_psi_full_total_us(text: str) -> int | None:
    """The cumulative microseconds of the ``full`` line of a PSI file (None if absent)."""
    for line in text.splitlines():
        if line.startswith("full "):
            for field in line.split()[1:]:
                key, _, value = field.partition("=")
                if key == "total" and value.isdigit():
                    return int(value)
    return None


def io_full_stall_total_us(path: Path | None = None) -> int | None:
    try:
        return parse_psi_full_total_us((path or PSI_IO).read_text())
    except OSError:
        return None


@dataclass
class HostProbe:
    """Started before the suites and finished after them; ``facts()`` goes into the result file."""

    loop_seconds_at_start: float
    _stall_us_at_start: int | None
    _wall_at_start: float
    loop_seconds_at_end: float | None = None
    io_full_stall_share: float | None = None

    @classmethod
    def start(cls) -> HostProbe:
        return cls(cpu_probe_seconds(), io_full_stall_total_us(), time.monotonic())

    def finish(self) -> HostProbe:
        wall_us = (time.monotonic() - self._wall_at_start) * 1e6
        stall_us = io_full_stall_total_us()
        if self._stall_us_at_start is not None and stall_us is not None and wall_us > 0:
            self.io_full_stall_share = max(0.0, min(1.0, (stall_us - self._stall_us_at_start) / wall_us))
        self.loop_seconds_at_end = cpu_probe_seconds()
        return self

    def facts(self) -> dict[str, float | None]:
        return {
            "python_10m_additions_seconds_at_start": round(self.loop_seconds_at_start, 3),
            "python_10m_additions_seconds_at_end": None if self.loop_seconds_at_end is None else round(self.loop_seconds_at_end, 3),
            "io_full_stall_share": None if self.io_full_stall_share is None else round(self.io_full_stall_share, 4),
        }

    def describe(self) -> str:
        end = "-" if self.loop_seconds_at_end is None else f"{self.loop_seconds_at_end:.2f}"
        stall = "not exposed" if self.io_full_stall_share is None else f"{self.io_full_stall_share:.1%} of the time"
        return f"host: 10M pure-Python additions {self.loop_seconds_at_start:.2f} s at start, {end} s at end; fully stalled on I/O {stall}"
