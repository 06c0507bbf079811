"""The batched renewal path (issue #7) against the private nx-27017 and the fake Kavenegar provider:
renewal_due events planned in one batch, deliveries claimed and sent with ``sendarray``.

What a customer would notice: one SMS per journey step whatever happens to the batch — copies of
an event inside it, the whole batch redelivered, a crash between planning writes, a crash between
"the provider has it" and "we recorded it"; nothing at night; a weekly marketing cap that holds
even when several messages for one customer are decided in the same batch.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from campaign_it_support import CFG, NOON, customers, drain, due, sender_ctx  # type: ignore[import-not-found]
from peyvand_campaign.adapters import catalogue_repo, deliveries_repo, journeys_repo, projections
from peyvand_campaign.adapters.collections import AGENTS, DELIVERIES, JOURNEYS, PROFILES
from peyvand_campaign.adapters.senders.base import OutgoingMessage, SendError
from peyvand_campaign.adapters.senders.kavenegar import KavenegarSmsSender
from peyvand_campaign.domain.journeys import DEFINITIONS, RENEWAL, Journey
from peyvand_campaign.service_layer import journeys, sending
from peyvand_campaign.service_layer.queueing import QueueOutcome, QueueRequest, queue_many
from peyvand_campaign.service_layer.rendering import LinkConfig
from peyvand_campaign.service_layer.renewal_batch import renewal_due_batch
from peyvand_runtime.ids import new_id
from pymongo.collection import Collection

NIGHT = dt.datetime(2026, 6, 10, 19, 0, tzinfo=dt.UTC)   # 22:30 Tehran
MORNING = dt.datetime(2026, 6, 11, 5, 30, tzinfo=dt.UTC)  # 09:00 Tehran, the next day


def test_copies_of_a_step_inside_one_batch_plan_one_message(db: Any) -> None:
    (customer,) = customers(db, 1)
    first = due(customer, 30)
    copy = due(customer, 30, policy_id=first[1]["policy_id"])  # the same fact under another event id
    fifteen = due(customer, 15, policy_id=first[1]["policy_id"])
    failures = renewal_due_batch(db, [first, copy, (first[0], first[1]), fifteen], NOON, CFG)
    assert failures == {}
    keys = sorted(d["dedup_key"].split(":", 1)[1] for d in db[DELIVERIES].find({"customer_id": customer}))
    assert keys == ["15:email", "30:sms"]
    (journey,) = db[JOURNEYS].find({"customer_id": customer})
    assert sorted(s["window"] for s in journey["steps_done"]) == [15, 30]
    assert journey["_id"] == journeys.journey_id_for(journey["natural_key"])


def test_a_redelivered_batch_and_a_crash_before_the_journey_write_add_nothing(db: Any) -> None:
    people = customers(db, 40)
    events = [due(c) for c in people]
    assert renewal_due_batch(db, events, NOON, CFG) == {}
    assert db[DELIVERIES].count_documents({}) == 40 and db[JOURNEYS].count_documents({}) == 40
    versions = {d["_id"]: d["version"] for d in db[JOURNEYS].find({}, {"version": 1})}
    # The whole batch again (e.g. the worker died before recording the applied ids).
    assert renewal_due_batch(db, events, NOON, CFG) == {}
    assert db[DELIVERIES].count_documents({}) == 40
    assert {d["_id"]: d["version"] for d in db[JOURNEYS].find({}, {"version": 1})} == versions
    # A crash between the delivery insert and the journey insert: the journeys are missing.
    db[JOURNEYS].delete_many({})
    assert renewal_due_batch(db, events, NOON, CFG) == {}
    assert db[DELIVERIES].count_documents({}) == 40 and db[JOURNEYS].count_documents({}) == 40


def test_events_that_cannot_be_applied_fail_alone(db: Any) -> None:
    people = customers(db, 3)
    good = [due(c) for c in people]
    unknown = due(new_id("cus"))          # the customer projection has not arrived yet
    broken = due(people[0])
    del broken[1]["holder_id"]
    failures = renewal_due_batch(db, [*good, unknown, broken], NOON, CFG)
    assert set(failures) == {unknown[0], broken[0]}
    assert type(failures[unknown[0]]).__name__ == "ProfileNotYetKnown"
    assert type(failures[broken[0]]).__name__ == "ValidationError"
    assert db[DELIVERIES].count_documents({}) == 3 and db[JOURNEYS].count_documents({}) == 3


def test_a_crash_between_send_and_record_still_sends_each_sms_once(db: Any, sms_provider: Any, monkeypatch: Any) -> None:
    people = customers(db, 30)
    assert renewal_due_batch(db, [due(c) for c in people], NOON, CFG) == {}
    clock = [NOON]
    ctx = sender_ctx(db, sms_provider, clock)

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("sender died before recording")

    monkeypatch.setattr(deliveries_repo, "save_many", crash)
    with pytest.raises(RuntimeError):
        sending.send_batch(ctx)
    assert len(sms_provider.messages) == 30 and sms_provider.array_requests == 1
    assert db[DELIVERIES].count_documents({"status": "queued"}) == 30
    monkeypatch.undo()
    clock[0] = NOON + dt.timedelta(seconds=61)  # the dead sender's claims have run out
    assert drain(ctx) == ["sent"] * 30
    assert len(sms_provider.messages) == 30 and len({m.receptor for m in sms_provider.messages}) == 30
    stored = {d["_id"]: d["provider_message_id"] for d in db[DELIVERIES].find({}, {"provider_message_id": 1})}
    assert stored == {m.localid: str(m.messageid) for m in sms_provider.messages}
    assert db[DELIVERIES].count_documents({"status": "sent"}) == 30


def test_quiet_hours_hold_a_batch_until_morning(db: Any, sms_provider: Any) -> None:
    people = customers(db, 10)
    assert renewal_due_batch(db, [due(c) for c in people], NIGHT, CFG) == {}
    waiting = list(db[DELIVERIES].find({}, {"waiting_for": 1, "next_attempt_at": 1, "status": 1}))
    assert {(d["status"], d["waiting_for"]) for d in waiting} == {("queued", "quiet_hours")}
    assert {d["next_attempt_at"].isoformat()[:19] for d in waiting} == {"2026-06-11T05:30:00"}
    clock = [NIGHT + dt.timedelta(hours=2)]
    ctx = sender_ctx(db, sms_provider, clock)
    assert drain(ctx) == [] and sms_provider.messages == []
    clock[0] = MORNING
    assert drain(ctx) == ["sent"] * 10 and len(sms_provider.messages) == 10


def test_the_weekly_marketing_cap_counts_messages_decided_in_the_same_batch(db: Any) -> None:
    granted = [{"channel": "sms", "purpose": "marketing", "granted": True}]
    alice, bob = customers(db, 2, consents=granted)
    requests = [QueueRequest(dedup_key=f"wb:{customer}:{i}", customer_id=customer, purpose="marketing", step_channel="sms",
                             templates={"sms": "winback.3.sms"}) for i, customer in enumerate((alice, alice, alice, bob))]
    service = QueueRequest(dedup_key=f"svc:{alice}", customer_id=alice, purpose="service", step_channel="sms",
                           templates={"sms": "renewal.30.sms"})
    outcomes = queue_many(db, [*requests, service], NOON, weekly_cap=2)
    assert all(isinstance(o, QueueOutcome) for o in outcomes)
    statuses = [(o.status, o.send_at) for o in outcomes]  # type: ignore[union-attr]
    assert statuses[0] == ("queued", NOON) and statuses[1] == ("queued", NOON)
    assert statuses[2][0] == "queued" and statuses[2][1] >= NOON + dt.timedelta(days=7)  # third for alice this week: waits
    assert statuses[3] == ("queued", NOON)      # bob has his own cap
    assert statuses[4] == ("queued", NOON)      # a service message is never capped
    third = db[DELIVERIES].find_one({"dedup_key": requests[2].dedup_key})
    assert third["waiting_for"] == "frequency_cap"
    # The same requests again: duplicates, nothing inserted, the cap is not used up twice.
    again = queue_many(db, [*requests, service], NOON, weekly_cap=2)
    assert [o.status for o in again] == ["duplicate"] * 5  # type: ignore[union-attr]
    assert db[DELIVERIES].count_documents({}) == 5


def test_sendarray_is_all_or_nothing_and_keeps_each_local_id_once(sms_provider: Any) -> None:
    sender = KavenegarSmsSender(sms_provider.base_url, sms_provider.api_key, "10008663", timeout_seconds=5)

    def sms(delivery_id: str, to: str) -> OutgoingMessage:
        return OutgoingMessage(delivery_id, "sms", "service", to, "یادآوری تمدید")

    first = sender.send_many([sms("dlv_a", "+989120000001"), sms("dlv_b", "+989120000002")])
    again = sender.send_many([sms("dlv_b", "+989120000002"), sms("dlv_c", "+989120000003")])
    assert again[0].provider_message_id == first[1].provider_message_id and again[0].duplicate  # type: ignore[union-attr]
    assert [m.receptor for m in sms_provider.messages] == ["09120000001", "09120000002", "09120000003"]
    with pytest.raises(SendError) as refused:
        sender.send_many([sms("dlv_d", "+989120000004"), sms("dlv_e", "+98212345")])
    assert (refused.value.code, refused.value.permanent) == ("kavenegar_411", True)
    assert len(sms_provider.messages) == 3  # nothing of the refused array went


def test_journeys_stored_before_derived_ids_are_found_by_natural_key(db: Any) -> None:
    (customer,) = customers(db, 1)
    event = due(customer, 30)
    legacy = Journey.start(RENEWAL, customer, NOON, policy_id=event[1]["policy_id"], term_end=dt.date(2026, 7, 10))
    legacy.plan(30, NOON, DEFINITIONS[RENEWAL])  # planned by an older release under a random id
    journeys_repo.save(db, legacy, NOON)
    assert legacy.id != journeys.journey_id_for(legacy.natural_key)
    assert renewal_due_batch(db, [event, due(customer, 15, policy_id=event[1]["policy_id"])], NOON, CFG) == {}
    assert db[JOURNEYS].count_documents({}) == 1
    assert sorted(d["dedup_key"] for d in db[DELIVERIES].find()) == [f"{legacy.id}:15:email"]  # 30 was done: not again


def test_one_invalid_number_fails_alone_when_the_provider_refuses_the_array(db: Any, sms_provider: Any) -> None:
    people = customers(db, 5)
    db[PROFILES].update_one({"_id": people[2]}, {"$set": {"mobile": "+98212345"}})  # a landline: Kavenegar 411
    assert renewal_due_batch(db, [due(c) for c in people], NOON, CFG) == {}
    outcomes = drain(sender_ctx(db, sms_provider, [NOON]))
    assert sorted(outcomes) == ["failed"] + ["sent"] * 4
    assert len(sms_provider.messages) == 4 and sms_provider.array_requests == 1
    failed = db[DELIVERIES].find_one({"customer_id": people[2]})
    assert failed["status"] == "failed" and failed["failure_reason"] == "kavenegar_411"


def test_deliveries_other_senders_hold_do_not_crowd_out_free_ones(db: Any) -> None:
    holding = 10 * deliveries_repo.CLAIM_WINDOW + 5  # more than the window of a claim of 10
    people = customers(db, holding + 10)
    assert renewal_due_batch(db, [due(c) for c in people], NOON, CFG) == {}
    claim_for = dt.timedelta(seconds=60)
    # Another sender holds the most overdue ones.
    held = deliveries_repo.claim_batch(db, NOON, "other:0", claim_for, holding)
    assert len(held) == holding
    mine = deliveries_repo.claim_batch(db, NOON, "me:0", claim_for, 10)
    assert len(mine) == 10 and not {d["_id"] for d in mine} & {d["_id"] for d in held}
    assert deliveries_repo.claim_batch(db, NOON, "me:1", claim_for, 10) == []  # nothing free is left
    # The other sender dies: once its claims run out they are free again, each for one sender.
    later = NOON + claim_for + dt.timedelta(seconds=1)
    taken = deliveries_repo.claim_batch(db, later, "me:2", claim_for, 100)
    assert {d["_id"] for d in taken} == {d["_id"] for d in held} | {d["_id"] for d in mine}
    assert deliveries_repo.claim_batch(db, later, "third:0", claim_for, 100) == []


def test_the_sent_record_writes_only_what_the_send_changed_and_still_refuses_a_stale_version(db: Any, monkeypatch: Any) -> None:
    people = customers(db, 3)
    assert renewal_due_batch(db, [due(c) for c in people], NOON, CFG) == {}
    docs = deliveries_repo.claim_batch(db, NOON, "me:0", dt.timedelta(seconds=60), 10)
    assert len(docs) == 3
    changes = []
    for doc in docs:
        delivery = deliveries_repo.from_doc(doc)
        delivery.mark_sent(f"m{doc['_id'][-4:]}", NOON + dt.timedelta(seconds=1))
        changes.append((delivery, {"waiting_for": ""}))
    # One of them was changed meanwhile (e.g. cancelled through the API): its write must not land.
    db[DELIVERIES].update_one({"_id": docs[0]["_id"]}, {"$set": {"status": "cancelled", "version": 2}})
    written: list[Any] = []
    real = Collection.bulk_write

    def spy(self: Any, requests: Any, *args: Any, **kwargs: Any) -> Any:
        written.extend(requests)
        return real(self, requests, *args, **kwargs)

    monkeypatch.setattr(Collection, "bulk_write", spy)
    conflicts = deliveries_repo.save_many(db, changes, NOON, before={str(d["_id"]): d for d in docs})
    monkeypatch.undo()
    assert [c.id for c in conflicts] == [docs[0]["_id"]]
    assert all(not {"dedup_key", "customer_id", "created_at", "journey_id"} & set(op._doc["$set"]) for op in written)
    for doc in docs[1:]:
        stored = db[DELIVERIES].find_one({"_id": doc["_id"]})
        assert stored["status"] == "sent" and stored["version"] == 2 and stored["claimed_until_ms"] == 0
        assert stored["due_ms"] == deliveries_repo.NEVER_MS and stored["provider_message_id"] == f"m{doc['_id'][-4:]}"
        assert stored["attempts"] == 1 and stored["outbox_pending"] == 1 and len(stored["outbox"]) == 1
        assert deliveries_repo.from_doc(stored).sent_at == NOON + dt.timedelta(seconds=1)
        assert stored["dedup_key"] == doc["dedup_key"] and stored["created_at"] == doc["created_at"]  # as inserted
    assert db[DELIVERIES].find_one({"_id": docs[0]["_id"]})["status"] == "cancelled"


def test_a_claimed_batch_reads_its_agents_in_one_go_and_names_each_customers_own(db: Any, sms_provider: Any, monkeypatch: Any) -> None:
    people = customers(db, 12)
    db[AGENTS].insert_many([{"_id": f"agt_{i:026d}", "version": 1, "display_name": f"Agent{i}", "mobile": f"+9893500000{i}",
                             "branch_code": "1201"} for i in range(3)])
    events = []
    for i, customer in enumerate(people):
        event = due(customer)
        event[1]["agent_id"] = f"agt_{i % 4:026d}"  # agent 3 is not in the directory: the call centre is named
        events.append(event)
    assert renewal_due_batch(db, events, NOON, CFG) == {}

    def one_by_one(*_args: Any) -> None:
        raise AssertionError("an agent read per message")

    monkeypatch.setattr(projections, "agent", one_by_one)
    ctx = sender_ctx(db, sms_provider, [NOON])
    assert drain(ctx) == ["sent"] * 12
    by_number = {m.receptor: m.message for m in sms_provider.messages}
    for i in range(12):
        body = by_number[f"0912{i:07d}"]
        assert (f"Agent{i % 4}" in body) == (i % 4 != 3) and ("مرکز تماس" in body) == (i % 4 == 3)


def test_a_claim_reads_once_when_it_wins_everything_and_skips_a_delivery_changed_since_the_read(db: Any, monkeypatch: Any) -> None:
    people = customers(db, 6)
    assert renewal_due_batch(db, [due(c) for c in people], NOON, CFG) == {}
    reads: list[Any] = []
    real_find = Collection.find

    def counting_find(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.name == DELIVERIES:
            reads.append(args[0] if args else kwargs.get("filter"))
        return real_find(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "find", counting_find)
    claim_for = dt.timedelta(seconds=60)
    first = deliveries_repo.claim_batch(db, NOON, "me:0", claim_for, 3)
    assert len(first) == 3 and len(reads) == 1  # the window read only: every claim matched
    for doc in first:  # what the sender gets is what the store holds
        stored = db[DELIVERIES].find_one({"_id": doc["_id"]})
        assert {k: doc[k] for k in ("version", "claimed_by", "claimed_until_ms", "status")} == \
               {k: stored[k] for k in ("version", "claimed_by", "claimed_until_ms", "status")} == \
               {"version": 1, "claimed_by": "me:0", "claimed_until_ms": deliveries_repo.epoch_ms(NOON + claim_for), "status": "queued"}
    # Someone saves one of the remaining deliveries between the window read and the claim
    # (e.g. a customer merge repointing it): that one is not claimed on the stale read.
    real_update_many = Collection.update_many
    changed: list[str] = []

    def save_meanwhile(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if self.name == DELIVERIES and not changed:
            target = query["_id"]["$in"][0]
            db[DELIVERIES].update_one({"_id": target}, {"$set": {"customer_id": people[0]}, "$inc": {"version": 1}})
            changed.append(target)
        return real_update_many(self, query, *args, **kwargs)

    monkeypatch.setattr(Collection, "update_many", save_meanwhile)
    reads.clear()
    second = deliveries_repo.claim_batch(db, NOON, "me:1", claim_for, 3)
    monkeypatch.setattr(Collection, "update_many", real_update_many)
    assert len(second) == 2 and changed[0] not in {d["_id"] for d in second} and len(reads) == 2  # raced: re-read
    (again,) = deliveries_repo.claim_batch(db, NOON, "me:2", claim_for, 3)
    assert again["_id"] == changed[0] and again["version"] == 2 and again["customer_id"] == people[0]


def test_the_sender_renders_the_policy_fact_its_delivery_carries(db: Any, sms_provider: Any, monkeypatch: Any) -> None:
    people = customers(db, 4)
    events = [due(c) for c in people]
    assert renewal_due_batch(db, events, NOON, CFG) == {}
    (doc,) = db[DELIVERIES].find({"customer_id": people[0]})
    assert doc["policy"]["renewal_total_premium"] == 44_690_000 and doc["policy"]["policy_number"] == "1201-1405-000123"
    read: list[str] = []
    real = projections.policies

    def spy(database: Any, policy_ids: list[str]) -> Any:
        read.extend(policy_ids)
        return real(database, policy_ids)

    monkeypatch.setattr(projections, "policies", spy)
    assert drain(sender_ctx(db, sms_provider, [NOON])) == ["sent"] * 4
    assert read == []  # no policy fact read: each delivery carried its own
    body = sms_provider.messages[0].message
    assert "1201-1405-000123" in body or "۱۲۰۱-۱۴۰۵-۰۰۰۱۲۳" in body


def test_a_notice_that_only_brings_the_quote_leaves_the_fact_alone_but_every_reader_still_sees_the_quote(db: Any, sms_provider: Any) -> None:
    from peyvand_campaign.adapters.collections import POLICY_FACTS
    from peyvand_campaign.service_layer import rendering
    from peyvand_runtime.identity import service_caller

    people = customers(db, 2)
    events = [due(c) for c in people]
    facts = [{"_id": p["policy_id"], "version": 2, **{k: p[k] for k in ("policy_number", "holder_id", "branch_code", "product_code", "term_end")},
              "agent_id": "", "premium": 38_000_000} for _, p in events]
    facts[1]["version"] = 1  # a policy event the campaign did not see lies between this fact and the notice (v3)
    db[POLICY_FACTS].insert_many(facts)
    assert renewal_due_batch(db, events, NOON, CFG) == {}
    kept, written = (db[POLICY_FACTS].find_one({"_id": p["policy_id"]}) for _, p in events)
    assert kept["version"] == 2 and "renewal_total_premium" not in kept  # only the quote was new: no write
    assert written["version"] == 3 and written["renewal_total_premium"] == 44_690_000  # a version gap: written as before
    for _, payload in events:
        (delivery,) = db[DELIVERIES].find({"policy_id": payload["policy_id"]})
        assert delivery["policy"]["renewal_total_premium"] == 44_690_000
    # The SMS and a preview for the policy both show the quote.
    template, _ = catalogue_repo.get_template(db, "renewal.30.sms")
    links = LinkConfig("http://127.0.0.1:8000", "s", "مرکز تماس", "021-00000000")
    shown = rendering.preview(db, links, template, caller=service_caller("test"), customer_id=people[0],
                              policy_id=events[0][1]["policy_id"], language="en", now=NOON)
    quoted = rendering.preview(db, links, template, caller=service_caller("test"), customer_id=people[1],
                               policy_id=events[1][1]["policy_id"], language="en", now=NOON)
    assert shown.message.body == quoted.message.body.replace(events[1][1]["policy_number"], events[0][1]["policy_number"]) \
        .replace("مشتری 1", "مشتری 0")
    assert "38,000,000" not in shown.message.body and "44,690,000" in shown.message.body
    assert drain(sender_ctx(db, sms_provider, [NOON])) == ["sent"] * 2
