"""The scale data set: 1M customers, 2M policies, 200k tickets — resumable, with progress.

    .venv/bin/python -m bench.datagen --mongo-uri mongodb://127.0.0.1:27117/ \\
        [--db-suffix ""] [--customers 1000000] [--policies 2000000] [--tickets 200000] [--state run/datagen.json]

Everything goes through the services' own bulk paths, so documents, indexes and counters are
what the services write themselves:

1. **org** (gateway): region ``SCL`` with 40 branches ``2001``–``2040`` and 500 agents
   (``register_agent``: the ``org.agent_changed`` events go through the gateway's outbox), and
   three users to sign in with (``scale-agent``, ``scale-staff``, ``scale-manager``; password
   ``scale-1405``).
2. **customers** (customer): ``peyvand_customer.demo.generator.generate_parties`` rows through
   ``service_layer.imports.import_rows`` — the CSV import path: validation, duplicate rules,
   the outbox envelopes (``customer.created``) and every index.
3. **policies** (policy): ``policies / customers`` per customer, products mixed, rated and issued
   by the real domain (``Quote.create`` + ``Policy.issue``), terms ending spread over the next
   year, numbers reserved per branch and Jalali year on the service's own counters, inserted with
   ``adapters.bulk.insert_policies_bulk`` (no events: a bulk load is not news).
4. **tickets** (ticketing): open tickets for every fifth customer, ``Ticket.open`` with the
   business calendar, inserted with ``adapters.bulk.insert_tickets_bulk`` (SLA fields derived).

Resumable: ``--state`` (default ``run/datagen-<suffix>.json``) records how far each stage got,
after every page. A re-run skips finished stages and continues a stage where it stopped; ids
and numbers are derived from the row, so a page written just before a crash is skipped, not
doubled. The rate is the store's: nx-27017 takes a few thousand rows/s at best (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from peyvand_runtime import identity, store
from peyvand_runtime.settings import ProcessSettings
from peyvand_runtime.tehran_time import tehran_date, utc_now
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError

ROOT = Path(__file__).resolve().parents[1]
REGION = "SCL"
BRANCHES = tuple(str(2001 + i) for i in range(40))
AGENTS = tuple(f"agt_01JSCA{i:020d}" for i in range(500))
USERS_PASSWORD = "scale-1405"
PAGE = 5_000


class Progress:
    """A line every ``every`` seconds: done/total, the rate now and overall, and the time left."""

    def __init__(self, stage: str, total: int, start: int, log: Callable[[str], None], every: float = 10) -> None:
        self.stage, self.total, self.log, self.every = stage, total, log, every
        self.began = self.last_at = time.monotonic()
        self.start = self.last_done = start

    def __call__(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_at < self.every:
            return
        rate_now = (done - self.last_done) / max(now - self.last_at, 1e-9)
        overall = (done - self.start) / max(now - self.began, 1e-9)
        left = (self.total - done) / overall if overall > 0 else float("inf")
        self.log(f"{self.stage}: {done:,}/{self.total:,} ({rate_now:,.0f}/s now, {overall:,.0f}/s overall, ~{left / 60:,.1f} min left)")
        self.last_at, self.last_done = now, done


class State:
    """How far each stage got, saved after every page (write-then-rename, so never half a file)."""

    def __init__(self, path: Path, params: dict[str, Any]) -> None:
        self.path = path
        self.data: dict[str, Any] = {"params": params, "done": {}}
        if path.exists():
            saved = json.loads(path.read_text())
            if saved.get("params") != params:
                raise SystemExit(f"datagen: {path} was written for {saved.get('params')}; use another --state or remove it")
            self.data = saved

    def done(self, stage: str) -> int:
        return int(self.data["done"].get(stage, 0))

    def set(self, stage: str, count: int) -> None:
        self.data["done"][stage] = count
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2))
        tmp.replace(self.path)


def _stable(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


# -- stages -----------------------------------------------------------------------------------
def load_org(settings: ProcessSettings, now: dt.datetime, log: Callable[[str], None]) -> None:
    from peyvand_gateway.adapters.org_repository import OrgRepository
    from peyvand_gateway.adapters.passwords import hash_password
    from peyvand_gateway.adapters.user_repository import UserRepository
    from peyvand_gateway.domain.org import Branch, Region
    from peyvand_gateway.domain.users import User
    from peyvand_gateway.service_layer.org import ensure_indexes, register_agent

    db = store.connect("gateway", settings)
    ensure_indexes()
    org = OrgRepository(db)
    org.put_region(Region(REGION, "منطقه آزمون مقیاس", "Scale-test region", BRANCHES))
    for n, code in enumerate(BRANCHES):
        org.put_branch(Branch(code, f"شعبه {n + 1}", f"Branch {n + 1}", "تهران", REGION))
    for n, agent_id in enumerate(AGENTS):
        if org.get_agent(agent_id) is None:
            register_agent(org, f"کارگزار {n + 1}", f"0912{3000000 + n:07d}", BRANCHES[n % len(BRANCHES)], now, agent_id=agent_id)
    users = UserRepository(db)
    for suffix, role, agent, branch, region in (("agent", "agent", AGENTS[0], BRANCHES[0], None), ("staff", "staff", None, BRANCHES[0], None), ("manager", "manager", None, None, REGION)):
        user_id = f"usr_01JSCU{suffix.upper():0>20}"[:30]
        if users.by_id(user_id) is None:
            users.add(User(user_id, f"scale-{suffix}", f"آزمون {suffix}", role, hash_password(USERS_PASSWORD), agent, branch, region))
    log(f"org: region {REGION}, {len(BRANCHES)} branches, {len(AGENTS)} agents; users scale-agent/-staff/-manager, password {USERS_PASSWORD}")


def load_customers(settings: ProcessSettings, total: int, seed: int, state: State, log: Callable[[str], None]) -> None:
    from peyvand_customer.adapters.schema import ensure_indexes
    from peyvand_customer.demo.generator import generate_parties
    from peyvand_customer.service_layer import imports
    from peyvand_customer.service_layer.context import Context
    from peyvand_customer.settings import CustomerGrpcSettings

    db = store.connect("customer", settings)
    ensure_indexes(db)
    ctx = Context(db, CustomerGrpcSettings(mongodb_uri=settings.mongodb_uri, mongodb_db_suffix=settings.mongodb_db_suffix).id_index_key())
    done = state.done("customers")
    progress = Progress("customers", total, done, log)
    rows = generate_parties(total, seed, AGENTS, BRANCHES, prefix="S")
    numbered = ((line + 2, row) for line, row in enumerate(itertools.islice(rows, done, None), start=done))

    def after_batch(report: Any, _seconds: float) -> None:
        # rows_settled, not rows_read: the import reads the next batch before the last one is
        # stored, and a state ahead of the store would make a resumed run skip rows.
        state.set("customers", done + report.rows_settled)
        progress(done + report.rows_settled)

    report = imports.import_rows(ctx, identity.service_caller("customer-datagen"), numbered, channel="datagen", batch_size=2000, progress=after_batch)
    log(f"customers: {report.rows_created:,} created, {report.rows_rejected:,} rejected, {report.rows_flagged:,} flagged as likely duplicates")


def _customers(settings: ProcessSettings, skip: int, page: int = 2000) -> Iterator[dict[str, Any]]:
    """Every customer in ``_id`` order after the first ``skip``, one page at a time.

    Measured on nx-27017 0.8.1 at 1M parties: one ``find({})`` (with ``skip``) builds the whole
    result before the first batch (~5 min, ~12 GB of server memory); ``_id: {$gt: last}`` is a
    full scan per page (90–140 s); ``sort(_id).skip(n).limit(page)`` reads the primary-key order
    (0.1 s at n = 500,000). So pages by skip and limit: the load only appends, the order is stable."""
    db = store.connect("customer", settings)
    projection = {"agent_id": 1, "branch_code": 1, "birth_date": 1}
    while True:
        batch = list(db["parties"].find({}, projection).sort("_id", 1).skip(skip).limit(page))
        if not batch:
            return
        yield from batch
        skip += len(batch)


def load_policies(settings: ProcessSettings, total: int, customers: int, state: State, log: Callable[[str], None]) -> None:
    from peyvand_policy.adapters.bulk import insert_policies_bulk
    from peyvand_policy.adapters.documents import COUNTERS, ensure_indexes
    from peyvand_policy.demo import _PRODUCTS, _inputs
    from peyvand_policy.domain.numbering import format_policy_number, sequence_key
    from peyvand_policy.domain.policy import Policy
    from peyvand_policy.domain.products import get_product
    from peyvand_policy.domain.quote import Quote
    from peyvand_policy.domain.rating import term_end_for
    from peyvand_policy.service_layer.context import derived_id

    db = store.connect("policy", settings)
    # Into an empty store the secondary indexes are built after the load (nx-27017 pays for
    # every index on every insert: adapters/bulk.py); the unique _id still refuses doubles.
    fresh = db["policies"].estimated_document_count() == 0
    if not fresh:
        ensure_indexes(db)
    per_customer = max(1, round(total / max(customers, 1)))
    today = tehran_date(utc_now())
    done_customers = state.done("policies") // per_customer
    progress = Progress("policies", total, done_customers * per_customer, log)
    reserved: dict[str, list[int]] = {}  # counter key -> [next, end) of the block this run holds

    def number(branch: str, start: dt.date) -> str:
        key = sequence_key(branch, start)
        block = reserved.get(key)
        if block is None or block[0] >= block[1]:
            doc = db[COUNTERS].find_one_and_update({"_id": key}, {"$inc": {"seq": 1000}}, upsert=True, return_document=ReturnDocument.AFTER)
            block = reserved[key] = [int(doc["seq"]) - 999, int(doc["seq"]) + 1]
        block[0] += 1
        return format_policy_number(branch, start, block[0] - 1)

    # How many customers have had all their policies handed to the bulk insert. The state file
    # is written from the insert's page callback (below), never from here: at that moment every
    # policy yielded so far is in the store, so a crash can only make the next run redo a page
    # (its ids are derived, so redone rows are skipped), never skip one.
    handed = [done_customers]

    def policies() -> Iterator[Policy]:
        for n, customer in enumerate(_customers(settings, done_customers), start=done_customers):
            if n * per_customer >= total:
                return
            cid = customer["_id"]
            for k in range(per_customer):
                roll = _stable(cid, k)
                code = _PRODUCTS[roll % len(_PRODUCTS)]
                product = get_product(code)
                end = today + dt.timedelta(days=1 + roll % 365)
                if product.term.unit == "days":
                    start = end - dt.timedelta(days=15 + roll % 30)
                    end = term_end_for(product, start, 15 + roll % 30)
                else:
                    start = end - dt.timedelta(days=364)
                    end = term_end_for(product, start)
                quote = Quote.create(
                    product=product, holder_id=cid, insured_ids=(cid,), agent_id=customer.get("agent_id") or AGENTS[0],
                    branch_code=customer.get("branch_code") or BRANCHES[0], inputs=_inputs(code, {"birth_date": customer.get("birth_date", "")}, start, roll % 1000),
                    term_start=start, term_end=end, today=start, quote_id=derived_id("qte", "datagen", cid, str(k)),
                )
                yield Policy.issue(quote, number(quote.branch_code, start), start, "system", policy_id=derived_id("pol", "datagen", cid, str(k)))
            handed[0] = n + 1

    def page_written(count: int) -> None:
        state.set("policies", min(total, handed[0] * per_customer))
        progress(done_customers * per_customer + count)

    inserted = insert_policies_bulk(db, policies(), progress=page_written)
    began = time.monotonic()
    ensure_indexes(db)
    log(f"policies: indexes ensured in {time.monotonic() - began:.1f} s")
    state.set("policies", total)
    progress(total, force=True)
    log(f"policies: {inserted:,} inserted by this run ({per_customer} per customer)")


def load_tickets(settings: ProcessSettings, total: int, seed: int, state: State, log: Callable[[str], None]) -> None:
    from peyvand_ticketing.adapters.bulk import insert_tickets_bulk
    from peyvand_ticketing.adapters.documents import ensure_indexes
    from peyvand_ticketing.domain.business_calendar import BusinessCalendar
    from peyvand_ticketing.domain.ticket import Ticket

    db = store.connect("ticketing", settings)
    ensure_indexes()
    calendar = BusinessCalendar()
    now = utc_now()
    done = state.done("tickets")
    progress = Progress("tickets", total, done, log)
    kinds = ("service_request", "complaint", "claim_inquiry", "incident")
    page: list[Any] = []
    customers = itertools.islice(_customers(settings, done * 5), 0, None, 5)
    for i, customer in enumerate(customers, start=done):
        if i >= total:
            break
        rng = random.Random(_stable(seed, i))
        branch = customer.get("branch_code") or BRANCHES[0]
        opened = now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 6))
        page.append(Ticket.open(
            ticket_number=f"S-1405-{i + 1:07d}", type=rng.choice(kinds), category="claim_status", channel=rng.choice(("phone", "web", "branch_visit")),
            customer_id=customer["_id"], subject="پیگیری درخواست", opened_by="datagen", now=opened, calendar=calendar,
            impact=rng.choice(("medium", "low", "high")), urgency=rng.choice(("medium", "low")), branch_code=branch,
            queue_id=f"q-{branch}-service-desk", agent_id=customer.get("agent_id") or "",
        ))
        if len(page) >= PAGE:
            _insert_tickets(insert_tickets_bulk, db, page, calendar)
            state.set("tickets", i + 1)
            progress(i + 1)
            page = []
    if page:
        _insert_tickets(insert_tickets_bulk, db, page, calendar)
    state.set("tickets", total)
    progress(total, force=True)


def _insert_tickets(insert: Any, db: Any, page: list[Any], calendar: Any) -> None:
    try:
        insert(db, page, calendar)
    except BulkWriteError as exc:  # a page written just before a crash: its rows are there already
        if any(err.get("code") != 11000 for err in exc.details.get("writeErrors", [])):
            raise


# -- main -------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.datagen", description=__doc__.splitlines()[0])
    parser.add_argument("--mongo-uri", required=True)
    parser.add_argument("--db-suffix", default="")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--policies", type=int, default=2_000_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument("--state", type=Path, default=None)
    args = parser.parse_args(argv)
    if min(args.customers, args.policies, args.tickets) < 0 or args.tickets > args.customers // 5 + 1:
        parser.error("sizes must be ≥ 0 and --tickets at most one per five customers")
    state_path = args.state or ROOT / "run" / f"datagen{args.db_suffix or ''}.json"
    state_path.parent.mkdir(parents=True, exist_ok=True)
    params = {"customers": args.customers, "policies": args.policies, "tickets": args.tickets, "seed": args.seed, "db_suffix": args.db_suffix}
    state = State(state_path, params)
    settings = ProcessSettings(mongodb_uri=args.mongo_uri, mongodb_db_suffix=args.db_suffix)
    began = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - began:8.1f}s] {message}", flush=True)

    log(f"datagen: {params}; state in {state_path}")
    if not state.done("org"):
        load_org(settings, utc_now(), log)
        state.set("org", 1)
    if state.done("customers") < args.customers:
        load_customers(settings, args.customers, args.seed, state, log)
    if state.done("policies") < args.policies:
        load_policies(settings, args.policies, args.customers, state, log)
    if state.done("tickets") < args.tickets:
        load_tickets(settings, args.tickets, args.seed, state, log)
    log(f"datagen: done in {(time.monotonic() - began) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
