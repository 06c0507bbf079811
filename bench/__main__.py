"""``python -m bench [--only spine] [--repeat 3] [--events 20000] [--quick]``: run the benchmark suites.

Starts a private RabbitMQ node and nx-27017 in a temp dir, runs the selected suites, prints a
summary table and writes ``bench/results/latest.json``. The servers are stopped at the end,
also on Ctrl-C, SIGTERM or a failure.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib
import json
import os
import platform
import signal
import sys
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import SUITES, Figure, Progress
from bench.hostprobe import HostProbe
from bench.infra import Context, Infra

RESULTS = Path(__file__).resolve().parent / "results"
PACKAGES = ("pika", "pymongo", "nx-27017", "neosqlite", "nameko", "eventlet", "kombu", "mongoengine")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SUITES), help=f"comma-separated suites (default: all of {', '.join(SUITES)})")
    parser.add_argument("--repeat", type=int, default=None, help="runs per measurement; the median is reported (default 3, --quick 1)")
    parser.add_argument("--events", type=int, default=None, help="aggregates/events per spine run (default 20000, --quick 1000)")
    parser.add_argument("--quick", action="store_true", help="small sizes: smoke-test the harness in under a minute")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json", help="where to write the JSON results")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (process logs, data) for inspection")
    args = parser.parse_args(argv)
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.events = args.events or (1000 if args.quick else 20_000)
    args.suites = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.suites if s not in SUITES]
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; known: {', '.join(SUITES)}")
    if args.repeat < 1 or args.events < 1:
        parser.error("--repeat and --events must be positive")
    return args


def machine_info(infra: Infra) -> dict[str, Any]:
    mem_kb = 0
    cpu = platform.processor()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    versions["rabbitmq"] = infra.rabbit_version or None
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_1_5_15_at_end": [round(x, 2) for x in os.getloadavg()],
        "versions": versions,
    }


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "MB" or abs(value) < 10:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def table(figures: list[Figure]) -> str:
    rows = [("figure", "median", "min–max", "unit", "baseline", "ratio", "target", "verdict")]
    for f in figures:
        if f.target is None:
            verdict = ""
        elif not f.applies:
            verdict = "(not the bound)"
        else:
            verdict = "MET" if f.met else "NOT MET"
        rows.append(
            (
                f.name,
                _fmt(f.value, f.unit),
                f"{_fmt(f.min, f.unit)}–{_fmt(f.max, f.unit)}" if f.min is not None else "-",
                f.unit,
                f"{f.baseline_name} {_fmt(f.baseline_value)}" if f.baseline_name else "",
                f"{f.ratio:.2f}" if f.ratio is not None else "",
                f"≥ {f.target:.2f}" if f.target is not None else "",
                verdict,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i in (0, 3, 4, 7) else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summary(figures: dict[str, list[Figure]], failed: dict[str, str]) -> str:
    """One table at the end: every figure that has a target, from every suite, and the verdicts."""
    judged = [dataclasses.replace(f, name=f"{suite}: {f.name}") for suite, figs in figures.items() for f in figs if f.target is not None]
    lines = ["", "summary — every figure with a target", ""]
    lines.append(table(judged) if judged else "(no figure with a target was measured)")
    verdicts = [f.met for f in judged if f.applies]
    lines.append("")
    lines.append(f"{sum(1 for v in verdicts if v)} of {len(verdicts)} targets met" + (f"; suites that failed: {', '.join(failed)}" if failed else ""))
    return "\n".join(lines)


def _raise_interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log = Progress()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    started_at = dt.datetime.now(dt.UTC)
    log(f"bench: suites {', '.join(args.suites)}; repeat {args.repeat}; events {args.events:,}{' (quick)' if args.quick else ''}")
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    log(f"bench: load average {load_at_start[0]} on {os.cpu_count()} cores (other work on the machine skews every figure; ratios less so)")
    host = HostProbe.start()
    log(f"bench: host speed: 10M pure-Python additions in {host.loop_seconds_at_start:.2f} s (lower is faster; compare hosts by it)")
    infra = Infra(log, keep=args.keep_tmp)
    figures: dict[str, list[Figure]] = {}
    failed: dict[str, str] = {}
    info: dict[str, Any] = {}
    interrupted = False
    try:
        infra.start()
        for suite in args.suites:
            ctx = Context(args.repeat, args.events, args.quick, log, infra.tmp / suite, infra.rabbit, infra.mongo)
            ctx.tmp.mkdir(parents=True, exist_ok=True)
            log(f"== {suite} ==")
            try:
                figures[suite] = importlib.import_module(SUITES[suite]).run(ctx)
                info.update(ctx.info)
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                failed[suite] = f"{type(exc).__name__}: {exc}"
                log(f"{suite}: FAILED: {type(exc).__name__}: {str(exc)[:2000]}")
                traceback.print_exc()
    except KeyboardInterrupt:
        interrupted = True
        log("bench: interrupted; stopping the private servers")
    finally:
        # a second Ctrl-C must not leave a broker behind
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        machine = machine_info(infra)
        machine["load_average_1_5_15_at_start"] = load_at_start
        infra.close()
        if args.keep_tmp:
            log(f"bench: logs and data kept in {infra.tmp}")
    if interrupted:
        return 130
    # After the servers are stopped (a Ctrl-C above is not held up by it): the host as the suites left it.
    machine["host"] = host.finish().facts()
    log(f"bench: {host.describe()}")
    for suite, figs in figures.items():
        print(f"\n{suite} — median of {args.repeat} run(s); ratio = median ÷ baseline median\n")
        print(table(figs))
    print(summary(figures, failed))
    result = {
        "timestamp": started_at.isoformat(timespec="seconds"),
        "duration_seconds": round(log.elapsed, 1),
        "command": " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)]),
        "repeat": args.repeat,
        "events": args.events,
        "quick": args.quick,
        "machine": machine,
        "suites": {suite: [f.to_json() for f in figs] for suite, figs in figures.items()},
        "failed": failed,
        "info": info,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"\nwrote {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
