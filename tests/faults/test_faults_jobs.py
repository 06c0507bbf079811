"""The renewal job started on three replicas at once (three real ``jobs_main renewal`` processes
with the same ``--as-of``): every ``policy.renewal_due`` notice reaches the broker exactly once."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter

from faults_support import Tap, queue_depth, tally, wait_for
from peyvand_policy.adapters.documents import ensure_indexes
from peyvand_policy.domain.renewal import DEFAULT_WINDOWS, due_window
from peyvand_policy.service_layer import policies, quotes
from peyvand_policy.service_layer.context import PolicyServices
from peyvand_runtime import identity, store
from peyvand_runtime.identity import service_caller
from peyvand_runtime.ids import new_id
from peyvand_runtime.settings import ProcessSettings
from peyvand_runtime.tehran_time import TEHRAN
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, process_specs

BOOK = 60
START = dt.date(2026, 1, 1)
TPL_INPUTS = {"vehicle_type": "passenger_car", "usage": "personal", "engine_cc": "1600", "no_claims_years": "3"}


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 1, 12, tzinfo=TEHRAN).astimezone(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def test_renewal_job_on_three_replicas_at_once_emits_every_notice_once(isolated) -> None:  # type: ignore[no-untyped-def]
    database = store.connect("policy", ProcessSettings(mongodb_uri=isolated.infra.mongo_uri, mongodb_db_suffix=isolated.db_suffix))
    ensure_indexes(database)
    clock = Clock()
    services = PolicyServices(database, clock=clock)
    book = []
    with identity.bound(service_caller("policy-tests")):
        for k in range(BOOK):  # one policy starting each day: expiries 1..60 days after the run date
            clock.now = dt.datetime.combine(START + dt.timedelta(days=k), dt.time(12), TEHRAN).astimezone(dt.UTC)
            quote = quotes.create_quote(services, quotes.CreateQuote(product_code="motor_tpl", holder_id=new_id("cus"), agent_id="agt_01JAGENTAAAAAAAAAAAAAAAAAA",
                                                                     branch_code="1021", inputs=dict(TPL_INPUTS)))
            book.append(policies.issue_policy(services, quote.id)[0])
    as_of = book[0].term_end - dt.timedelta(days=1)
    expected = {f"{p.id}:{w}" for p in book if (w := due_window(p.term_end, as_of, DEFAULT_WINDOWS, set())) is not None}
    assert 30 < len(expected) < BOOK

    tap = Tap(isolated.amqp_uri, "policy.events", "policy.renewal_due")
    plan = PortPlan.on_free_ports()
    stack = Stack([s for s in process_specs(plan) if s.name == "policy-relay"], isolated.env(RELAY_IDLE_SLEEP_SECONDS="0.05"), plan, isolated.tmp / "logs")
    try:
        stack.start()
        argv = [sys.executable, "-m", "peyvand_policy.entrypoints.jobs_main", "renewal", "--as-of", as_of.isoformat()]
        replicas = [subprocess.Popen(argv, env=isolated.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
        outputs = [p.communicate(timeout=180) for p in replicas]
        assert all(p.returncode == 0 for p in replicas), [err[-2000:] for _, err in outputs]
        emitted = sum(json.loads(out.strip().splitlines()[-1])["emitted"] for out, _ in outputs)
        wait_for(lambda: database["policies"].count_documents({"outbox_pending": 1}) == 0, 120, "the relay to publish every event", stack)
        wait_for(lambda: queue_depth(isolated.amqp_uri, tap.queue) >= len(expected), 30, "the notices on the tap queue", stack)
        envelopes = tap.drain()
    finally:
        stack.stop()
    at_broker = [f"{e['payload']['policy_id']}:{e['payload']['days_before_expiry']}" for e in envelopes]
    result = tally("renewal job on 3 replicas", expected, at_broker, [e["event_id"] for e in envelopes]).report()
    # the policies' own records: one notice mark per policy and window
    marks = Counter({doc["_id"]: len(doc.get("renewal_notices") or []) for doc in database["policies"].find({}, {"renewal_notices": 1})})
    assert sum(marks.values()) == len(expected) and max(marks.values()) == 1
    assert emitted == len(expected), "the replicas' summaries must add up to one run's worth"
    assert (result.lost, result.duplicated) == (0, 0)
