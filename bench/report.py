"""One summary table from suites run separately: ``python -m bench.report FILE.json… [--output F]``.

``make bench`` runs every suite in one process, one after another. At the issue's sizes (1M
customers, 1M policies, 80,000 renewal notices, 200,000 tickets) that takes well over an hour on
a 2-core machine, and a figure is only worth quoting when nothing else ran beside it. So suites
are often run one at a time (``python -m bench --only customer --output …``) when the machine is
quiet. This merges such result files into the same document ``python -m bench`` writes (one table
per suite, then the summary of every figure with a target) and keeps, for every suite, when it ran,
the command, the load average at its start and end and how long it took: nothing is averaged
across runs and nothing is re-judged. A suite found in more than one file is taken from the
newest file (by its ``timestamp``), and the report says which file each suite came from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench import Figure
from bench.__main__ import summary, table

ROOT = Path(__file__).resolve().parents[1]


def _figure(data: dict[str, Any]) -> Figure:
    known = Figure.__dataclass_fields__
    return Figure(**{k: v for k, v in data.items() if k in known})


def merge(documents: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The newest run of every suite found in ``documents`` ((source name, result document) pairs)."""
    chosen: dict[str, tuple[str, dict[str, Any]]] = {}
    for source, doc in sorted(documents, key=lambda d: d[1].get("timestamp", "")):
        for suite in doc.get("suites", {}):
            chosen[suite] = (source, doc)
        for suite in doc.get("failed", {}):
            if suite not in doc.get("suites", {}):
                chosen[suite] = (source, doc)
    suites: dict[str, Any] = {}
    failed: dict[str, str] = {}
    runs: dict[str, Any] = {}
    info: dict[str, Any] = {}
    for suite, (source, doc) in sorted(chosen.items()):
        machine = doc.get("machine", {})
        runs[suite] = {
            "source": source,
            "timestamp": doc.get("timestamp"),
            "command": doc.get("command"),
            "duration_seconds": doc.get("duration_seconds"),
            "repeat": doc.get("repeat"),
            "load_average_at_start": machine.get("load_average_1_5_15_at_start"),
            "load_average_at_end": machine.get("load_average_1_5_15_at_end"),
            "host": machine.get("host"),
        }
        if suite in doc.get("suites", {}):
            suites[suite] = doc["suites"][suite]
        if suite in doc.get("failed", {}):
            failed[suite] = doc["failed"][suite]
        if suite in doc.get("info", {}):
            info[suite] = doc["info"][suite]
    machines = [doc.get("machine", {}) for _, doc in chosen.values()]
    return {
        "merged_from_separate_runs": True,
        "timestamp": max((r["timestamp"] or "" for r in runs.values()), default=""),
        "runs": runs,
        "machine": {k: v for k, v in (machines[-1] if machines else {}).items() if not k.startswith("load_average")},
        "suites": suites,
        "failed": failed,
        "info": info,
    }


def host_speed(host: dict[str, Any] | None) -> str:
    """``10M-add 0.95 s  I/O stall 0.4 %  `` for a run that recorded its host (bench.hostprobe), else ''."""
    if not host or host.get("python_10m_additions_seconds_at_start") is None:
        return ""
    text = f"10M-add {host['python_10m_additions_seconds_at_start']:.2f} s  "
    if host.get("io_full_stall_share") is not None:
        text += f"I/O stall {host['io_full_stall_share']:.1%}  "
    return text


def render(merged: dict[str, Any]) -> str:
    lines = ["suites run separately, merged by python -m bench.report:", ""]
    for suite, run in merged["runs"].items():
        start, end = run.get("load_average_at_start") or ["?"], run.get("load_average_at_end") or ["?"]
        lines.append(f"  {suite:<10} {run['timestamp']}  load {start[0]} → {end[0]}  {host_speed(run.get('host'))}{run.get('duration_seconds') or 0:,.0f} s  {run['command']}  ({run['source']})")
    figures = {suite: [_figure(f) for f in figs] for suite, figs in merged["suites"].items()}
    for suite, figs in figures.items():
        lines += ["", f"{suite} — median of {merged['runs'][suite].get('repeat')} run(s); ratio = median ÷ baseline median", "", table(figs)]
    lines.append(summary(figures, merged["failed"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="result files written by python -m bench --output")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    args = parser.parse_args(argv)
    documents = []
    for path in args.files:
        try:
            documents.append((str(path.relative_to(ROOT) if path.is_absolute() and path.is_relative_to(ROOT) else path), json.loads(path.read_text())))
        except (OSError, ValueError) as exc:
            parser.error(f"{path}: not a result file ({exc})")
    merged = merge(documents)
    if not merged["suites"] and not merged["failed"]:
        parser.error("no suite results in the given files")
    print(render(merged))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(merged, ensure_ascii=False, indent=2) + "\n")
    print(f"\nwrote {args.output}")
    return 1 if merged["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
