"""Draft rows for docs/metrics.md from real scrapes.

    python deploy/tools/metrics_inventory.py DIR            # DIR/<process>.prom files
    python deploy/tools/metrics_inventory.py NAME=URL ...   # scrape running processes

tests/e2e/test_stack_metrics.py keeps every process's scrape in its log folder
(``.../logs/scrapes``; or in ``$PEYVAND_METRICS_SCRAPES``). Prints one markdown row per
metric family (peyvand_*, grpc_server_*, http_request*), with the processes that expose it
and the label values seen; "question it answers", "defined in" and "used by" are left for a
human. Nothing here is authoritative: the catalogue is, and the e2e test checks it.
"""

from __future__ import annotations

import sys
import urllib.request
from collections import defaultdict
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

OURS = ("peyvand_", "grpc_server_", "http_request")


def load(args: list[str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for arg in args:
        if "=" in arg:
            name, url = arg.split("=", 1)
            with urllib.request.urlopen(url, timeout=10) as response:
                texts[name] = response.read().decode()
        else:
            for path in sorted(Path(arg).glob("*.prom")):
                texts[path.stem] = path.read_text()
    return texts


def inventory(texts: dict[str, str]) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for process, text in texts.items():
        for family in text_string_to_metric_families(text):
            if not family.name.startswith(OURS) or family.name.endswith("_created"):
                continue
            name = family.name + "_total" if family.type == "counter" else family.name
            entry = found.setdefault(name, {"type": family.type, "help": family.documentation, "processes": set(), "labels": defaultdict(set)})
            entry["processes"].add(process)  # type: ignore[attr-defined]
            for sample in family.samples:
                for key, value in sample.labels.items():
                    if key not in ("le", "quantile"):
                        entry["labels"][key].add(value)  # type: ignore[index]
    return found


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    rows = inventory(load(argv))
    print("| metric | type | labels | exposed by | defined in | question it answers | used by |")
    print("|---|---|---|---|---|---|---|")
    for name, entry in sorted(rows.items()):
        labels = ", ".join(f"`{k}` ({', '.join(sorted(v)[:8])})" for k, v in sorted(entry["labels"].items())) or "—"  # type: ignore[attr-defined]
        processes = ", ".join(f"`{p}`" for p in sorted(entry["processes"]))  # type: ignore[call-overload]
        print(f"| `{name}` | {entry['type']} | {labels} | {processes} | | {entry['help']} | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
