"""Bulk CSV import: validate every row, refuse hard duplicates, flag soft ones, insert in batches.

Rows become whole aggregate documents with their ``customer.created`` envelopes (the same
shape ``outbox.insert_new`` writes), inserted with ``insert_many(ordered=False)``; a row the
store refuses (a duplicate that raced us) is reported on its own line. Decision: a national
/ legal id already known (or repeated in the file) rejects the row; a shared mobile or the
same name and birth date imports the row tagged ``possible_duplicate`` for the duplicate
review. Import rows write no per-row audit documents: the party keeps ``import_id``
and the ``imports`` record says who imported what, when and through which channel.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from peyvand_runtime import outbox
from peyvand_runtime.domain import ValidationError
from peyvand_runtime.identity import Caller
from peyvand_runtime.ids import new_id
from prometheus_client import Counter
from pymongo.errors import BulkWriteError

from peyvand_customer.adapters.mapping import official_id_key, to_fields
from peyvand_customer.adapters.parties import PRODUCER
from peyvand_customer.adapters.schema import drop_deferrable_indexes, ensure_indexes
from peyvand_customer.domain.csv_rows import parse_row
from peyvand_customer.domain.lookup import MOBILE, full_name_key
from peyvand_customer.domain.party import Party
from peyvand_customer.service_layer.context import Context, sees
from peyvand_customer.service_layer.customers import default_owner

IMPORT_ROWS = Counter("peyvand_customer_import_rows_total", "Rows read by customer imports, by outcome", ["outcome"])
POSSIBLE_DUPLICATE = "possible_duplicate"
IMPORTS = "imports"


@dataclass
class Rejected:
    line_number: int
    reasons: list[str]


@dataclass
class ImportReport:
    import_id: str
    rows_read: int = 0
    # Rows whose fate is final: their batch is in the store (or they were refused). Lags
    # ``rows_read`` by the batch in flight; a resumable caller records this one.
    rows_settled: int = 0
    rows_created: int = 0
    rows_flagged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    index_seconds: float | None = None  # set when an initial load built the search indexes afterwards

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)


def _chunks(rows: Iterable[tuple[int, dict[str, str]]], size: int) -> Iterator[list[tuple[int, dict[str, str]]]]:
    batch: list[tuple[int, dict[str, str]]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class _Known:
    """Keys already in the book, loaded once per import by one ``_id``-ordered scan.

    The embedded store answers ``$in`` on any field but ``_id`` with a full scan, and per-row
    lookups would cost several round trips a row, so a bulk import reads the book's keys once
    (about a minute per million parties) and checks rows in memory; the unique indexes still
    refuse a duplicate that another writer adds meanwhile.
    """

    official: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    soft: set[str] = field(default_factory=set)


def _load_known(ctx: Context) -> _Known:
    known = _Known()
    projection = {"official_id_key": 1, "customer_number": 1, "mobiles": 1, "name_key": 1, "birth_date": 1}
    for doc in ctx.parties.scan({}, projection, chunk=5000):
        known.official.add(doc.get("official_id_key", ""))
        known.numbers.add(doc.get("customer_number", ""))
        known.soft.update(MOBILE + m for m in doc.get("mobiles", []))
        if doc.get("name_key") and doc.get("birth_date"):
            known.soft.add(f"nb:{doc['name_key']}|{doc['birth_date']}")
    return known


def import_rows(
    ctx: Context,
    caller: Caller,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    channel: str = "import",
    batch_size: int = 2000,
    progress: Callable[[ImportReport, float], None] | None = None,
    keep_ids: bool = False,
    initial_load: bool = False,
) -> ImportReport:
    """Import ``rows``; ``initial_load`` on an EMPTY book builds the search indexes after the
    rows are in (unique indexes stay: duplicates are still refused). On a book that already
    holds parties the flag changes nothing."""
    report = ImportReport(new_id("imp"))
    ctx.db[IMPORTS].insert_one({"_id": report.import_id, "by": caller.principal, "channel": channel, "started_at": ctx.now()})
    deferred = bool(initial_load and ctx.parties.col.estimated_document_count() == 0 and drop_deferrable_indexes(ctx.db))
    try:
        _run(ctx, caller, rows, report, channel, batch_size, progress, keep_ids)
    finally:
        if deferred:
            began = time.monotonic()
            ensure_indexes(ctx.db)
            report.index_seconds = time.monotonic() - began
    report.rejected.sort(key=lambda r: r.line_number)  # the two stages reject out of order
    ctx.db[IMPORTS].update_one(
        {"_id": report.import_id},
        {"$set": {"finished_at": ctx.now(), "rows_read": report.rows_read, "rows_created": report.rows_created, "rows_rejected": report.rows_rejected}},
    )
    return report


def _run(
    ctx: Context,
    caller: Caller,
    rows: Iterable[tuple[int, dict[str, str]]],
    report: ImportReport,
    channel: str,
    batch_size: int,
    progress: Callable[[ImportReport, float], None] | None,
    keep_ids: bool,
) -> None:
    started = time.monotonic()
    known = _load_known(ctx)
    # Two stages overlap: while the store inserts batch N (the client waits on a socket, the
    # GIL is free), this thread validates and builds batch N+1. Results are applied in order.
    pending: Future[None] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-insert") as writer:
        for batch in _chunks(rows, batch_size):
            prepared = _prepare_batch(ctx, caller, batch, report, channel, known)
            if pending is not None:
                pending.result()
                if progress:
                    progress(report, time.monotonic() - started)
            pending = writer.submit(_insert_batch, ctx, prepared, report, keep_ids)
        if pending is not None:
            pending.result()
            if progress:
                progress(report, time.monotonic() - started)


def _reject(report: ImportReport, line: int, reasons: list[str]) -> None:
    report.rejected.append(Rejected(line, reasons))
    IMPORT_ROWS.labels("rejected").inc()


def _reasons(row: dict[str, str], line: int, now: Any) -> list[str]:
    """Every problem of a refused row, named by CSV column (a missing customer number is not one:
    the importer assigns it)."""
    result = parse_row(row, line, now=now)
    if not isinstance(result, list):
        return []
    kept = [v for v in result if not v.field.endswith(".customer_number") or v.description != "is required"]
    return [f"{v.field.split('.', 1)[-1]}: {v.description}" for v in kept]


@dataclass
class _Prepared:
    docs: list[dict[str, Any]]
    lines: list[int]
    rows: int = 0  # rows of the batch, refused ones included


def _prepare_batch(ctx: Context, caller: Caller, batch: list[tuple[int, dict[str, str]]], report: ImportReport, channel: str, known: _Known) -> _Prepared:
    now = ctx.now()
    report.rows_read += len(batch)
    parsed: list[tuple[int, Any]] = []
    rows = dict(batch)
    for line, row in batch:
        # Parse only: ``Party.create`` below validates each row once. A row that fails either
        # step is re-parsed with full validation so its report lists every problem by column.
        result = parse_row(row, line)
        if isinstance(result, list):
            _reject(report, line, _reasons(row, line, now))
            continue
        result = default_owner(caller, result)
        parsed.append((line, result))
    missing = [i for i, (_, cmd) in enumerate(parsed) if not cmd.customer_number]
    for i, number in zip(missing, ctx.parties.next_numbers(len(missing)) if missing else [], strict=False):
        parsed[i] = (parsed[i][0], dataclasses.replace(parsed[i][1], customer_number=number))

    parties: list[tuple[int, Party]] = []
    for line, cmd in parsed:
        try:
            party = Party.create(cmd, now=now, by=caller.principal, channel=channel)
        except ValidationError as exc:
            _reject(report, line, _reasons(rows[line], line, now) or [f"{v.field}: {v.description}" for v in exc.violations])
            continue
        if not sees(caller, party):
            _reject(report, line, ["branch_code: outside your scope"])
            continue
        parties.append((line, party))

    # Hard duplicates (store and file): the same national/legal id or customer number.
    keys = {p.id: official_id_key(ctx.index_key, p.id, p.national_id, p.legal_id) for _, p in parties}
    kept: list[tuple[int, Party]] = []
    for line, party in parties:
        key = keys[party.id]
        field_name = "national_id" if key.startswith("nid:") else "legal_id"
        if key in known.official:
            _reject(report, line, [f"{field_name}: a customer with this id already exists"])
        elif party.customer_number in known.numbers:
            _reject(report, line, ["customer_number: already used by another customer"])
        else:
            known.official.add(key)
            known.numbers.add(party.customer_number)
            kept.append((line, party))

    # Soft duplicates: same mobile, or same whole name and birth date (store and file).
    soft_keys: dict[str, list[str]] = {}
    for _, party in kept:
        soft_keys[party.id] = [MOBILE + c.value for c in party.contact_points if c.kind == "mobile"]
        name = full_name_key(party.first_name, party.last_name, party.org_name if party.kind == "organisation" else "")
        if name and party.birth_date:
            soft_keys[party.id].append(f"nb:{name}|{party.birth_date.isoformat()}")
    existing = known.soft
    docs: list[dict[str, Any]] = []
    lines: list[int] = []
    for line, party in kept:
        flagged = any(k in existing for k in soft_keys[party.id])
        existing.update(soft_keys[party.id])
        if flagged:
            party.tags = party.tags + [POSSIBLE_DUPLICATE]
            party.pull_events()
            party.record("customer.created", {**party.to_snapshot(), "at": now.isoformat().replace("+00:00", "Z")})
            report.rows_flagged += 1
        party.pull_audit()
        fields = to_fields(party, ctx.index_key)
        envelopes = outbox.envelopes(party.pull_events(), PRODUCER, now, 1)
        fields.update({"_id": party.id, "version": 1, outbox.OUTBOX: envelopes, outbox.PENDING: 1, "import_id": report.import_id})
        docs.append(fields)
        lines.append(line)
    return _Prepared(docs, lines, len(batch))


def _insert_batch(ctx: Context, prepared: _Prepared, report: ImportReport, keep_ids: bool) -> None:
    docs, lines = prepared.docs, prepared.lines
    if not docs:
        report.rows_settled += prepared.rows
        return
    failed: dict[int, str] = {}
    try:
        ctx.parties.col.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        for error in exc.details.get("writeErrors", []):
            failed[int(error["index"])] = _store_refusal(error)
    for index, doc in enumerate(docs):
        if index in failed:
            _reject(report, lines[index], [failed[index]])
        else:
            report.rows_created += 1
            IMPORT_ROWS.labels("ok").inc()
            if keep_ids:
                report.created_ids.append(doc["_id"])
    report.rows_settled += prepared.rows


def _store_refusal(error: dict[str, Any]) -> str:
    """Why the store refused one row (a unique index names itself in the message on both engines)."""
    if error.get("code") != 11000:
        return "could not be stored"
    message = str(error.get("errmsg", ""))
    if "official_id_key" in message:
        return "national_id: a customer with this id already exists"
    if "customer_number" in message:
        return "customer_number: already used by another customer"
    return "already imported"
