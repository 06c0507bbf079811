"""``python -m peyvand_customer.entrypoints.cli``: import / export CSV and the batch duplicate scan.

    cli import FILE.csv --report rejected.csv [--batch 2000] [--progress-every 10000] [--initial-load]
    cli export FILE.csv [--agent agt_… | --branch 1201] [--jalali]
    cli scan-duplicates [--threshold 85]

Progress goes to stderr as counts and rows/s only: no personal data is ever logged (the
rejected-rows report file carries line numbers and reasons, never cell values).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Iterator

from peyvand_runtime import identity, logs
from peyvand_runtime.store import connect

from peyvand_customer.adapters.schema import ensure_indexes
from peyvand_customer.service_layer import duplicate_scan, exports, imports, migrations
from peyvand_customer.service_layer.context import Context
from peyvand_customer.settings import CustomerGrpcSettings

CLI_CALLER = identity.service_caller("customer-cli")


def _context() -> Context:
    settings = CustomerGrpcSettings()
    logs.configure("customer-cli", settings.log_level)
    db = connect("customer", settings)
    ensure_indexes(db)
    return Context(db, settings.id_index_key())


def _rows(path: str) -> Iterator[tuple[int, dict[str, str]]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            yield reader.line_num, {k: v for k, v in row.items() if k is not None}


def cmd_import(args: argparse.Namespace) -> int:
    ctx = _context()
    last = [0]

    def progress(report: imports.ImportReport, elapsed: float) -> None:
        if report.rows_read - last[0] >= args.progress_every:
            last[0] = report.rows_read
            rate = report.rows_read / elapsed if elapsed else 0.0
            print(f"rows={report.rows_read} created={report.rows_created} rejected={report.rows_rejected} flagged={report.rows_flagged} rate={rate:.0f} rows/s", file=sys.stderr, flush=True)

    started = time.monotonic()
    report = imports.import_rows(ctx, CLI_CALLER, _rows(args.file), batch_size=args.batch, progress=progress, initial_load=args.initial_load)
    elapsed = time.monotonic() - started
    with open(args.report, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line_number", "reasons"])
        for rejected in report.rejected:
            writer.writerow([rejected.line_number, "; ".join(rejected.reasons)])
    print(
        f"done rows={report.rows_read} created={report.rows_created} rejected={report.rows_rejected} flagged={report.rows_flagged} "
        f"seconds={elapsed:.1f} rate={report.rows_read / elapsed if elapsed else 0:.0f} rows/s import_id={report.import_id}"
        + (f" index_build_seconds={report.index_seconds:.1f}" if report.index_seconds is not None else ""),
        file=sys.stderr,
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    ctx = _context()
    count = 0
    with open(args.file, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, exports.COLUMNS)
        writer.writeheader()
        for row in exports.export_rows(ctx, CLI_CALLER, args.agent, args.branch, args.jalali):
            writer.writerow(row)
            count += 1
    print(f"exported rows={count}", file=sys.stderr)
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    ctx = _context()
    started = time.monotonic()
    found, stats = duplicate_scan.scan_book(ctx, threshold=args.threshold)
    print(
        f"scanned profiles={stats.profiles} blocks={stats.blocks} oversized_blocks={stats.oversized_blocks} pairs_scored={stats.pairs_scored} "
        f"candidates={found} seconds={time.monotonic() - started:.1f}",
        file=sys.stderr,
    )
    return 0


def cmd_migrate_keys(args: argparse.Namespace) -> int:
    ctx = _context()
    last = [0.0]

    def progress(stats: migrations.MigrationStats) -> None:
        if stats.seconds - last[0] >= 15:
            last[0] = stats.seconds
            print(f"read={stats.read} rewritten={stats.rewritten} rate={stats.read / stats.seconds:.0f} rows/s", file=sys.stderr, flush=True)

    stats = migrations.migrate_lookup_keys(ctx, page=args.page, progress=progress)
    print(
        f"done read={stats.read} rewritten={stats.rewritten} skipped_changed={stats.skipped_changed} seconds={stats.seconds:.1f} layout=2",
        file=sys.stderr,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="peyvand_customer.entrypoints.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("import", help="import customers from a CSV file")
    p.add_argument("file")
    p.add_argument("--report", required=True, help="where to write rejected rows (line number, reasons)")
    p.add_argument("--batch", type=int, default=2000)
    p.add_argument("--progress-every", type=int, default=10000)
    p.add_argument("--initial-load", action="store_true", help="into an EMPTY book: build the search indexes after the rows (much faster)")
    p.set_defaults(run=cmd_import)
    p = sub.add_parser("export", help="export customers as CSV")
    p.add_argument("file")
    p.add_argument("--agent", default="")
    p.add_argument("--branch", default="")
    p.add_argument("--jalali", action="store_true")
    p.set_defaults(run=cmd_export)
    p = sub.add_parser("scan-duplicates", help="find likely duplicate customers across the whole book")
    p.add_argument("--threshold", type=int, default=85)
    p.set_defaults(run=cmd_scan)
    p = sub.add_parser("migrate-lookup-keys", help="rewrite every party's lookup slots in the current layout (once, after deploying it)")
    p.add_argument("--page", type=int, default=2000)
    p.set_defaults(run=cmd_migrate_keys)
    args = parser.parse_args(argv)
    with identity.bound(CLI_CALLER):
        return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
