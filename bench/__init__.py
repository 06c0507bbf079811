"""Peyvand benchmarks: figures measured against baselines taken in the same run (``python -m bench``).

A suite is a module ``bench.<area>`` exposing ``run(ctx: Context) -> list[Figure]``; register it
in ``SUITES``. Every figure is the median of ``ctx.repeat`` runs, with min and max, and carries
the baseline it is compared with, the ratio and the target ratio.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

# suite name -> module; a module is imported only when its suite is selected
SUITES: dict[str, str] = {
    "spine": "bench.spine",
    "policy": "bench.policy",
    "ticketing": "bench.ticketing",
    "campaign": "bench.campaign",
    "gateway": "bench.gateway",
    "mix": "bench.mix",
    "renewal": "bench.renewal",
    "customer": "bench.customer",
}


@dataclass
class Figure:
    """One reported number, compared with its baseline (``ratio = value / baseline_value``)."""

    name: str
    value: float
    unit: str
    baseline_name: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    target: float | None = None  # the ratio the figure should reach (None: informational)
    met: bool | None = None
    min: float | None = None
    max: float | None = None
    samples: list[float] = field(default_factory=list)
    applies: bool = True  # False: the target is shown but another bound decides the verdict
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Stat:
    """Median, min and max of repeated samples."""

    samples: list[float]

    @property
    def median(self) -> float:
        return float(statistics.median(self.samples)) if self.samples else 0.0

    @property
    def min(self) -> float:
        return min(self.samples) if self.samples else 0.0

    @property
    def max(self) -> float:
        return max(self.samples) if self.samples else 0.0


def figure(
    name: str,
    stat: Stat,
    unit: str,
    baseline: Figure | None = None,
    target: float | None = None,
    note: str = "",
    applies: bool = True,
) -> Figure:
    """A Figure from repeated samples, compared with ``baseline``'s median when given."""
    fig = Figure(name, stat.median, unit, min=stat.min, max=stat.max, samples=[round(s, 3) for s in stat.samples], note=note, applies=applies)
    if baseline is not None and baseline.value:
        fig.baseline_name = baseline.name
        fig.baseline_value = baseline.value
        fig.ratio = stat.median / baseline.value
        if target is not None:
            fig.target = target
            fig.met = fig.ratio >= target
    return fig


class Progress:
    """One line per phase on stdout, flushed at once, with the elapsed time of the whole run."""

    def __init__(self) -> None:
        self.began = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def __call__(self, message: str) -> None:
        print(f"[{time.monotonic() - self.began:7.1f}s] {message}", flush=True)
        sys.stdout.flush()


def repeated(ctx: Any, label: str, unit: str, measure: Callable[[int], float]) -> Stat:
    """Run ``measure(i)`` ``ctx.repeat`` times, printing each rate as it comes."""
    samples = []
    for i in range(ctx.repeat):
        value = measure(i)
        samples.append(value)
        ctx.log(f"{label}: run {i + 1}/{ctx.repeat}: {value:,.0f} {unit}")
    stat = Stat(samples)
    ctx.log(f"{label}: median {stat.median:,.0f} {unit} (min {stat.min:,.0f}, max {stat.max:,.0f})")
    return stat
