"""Delivery reports of sent SMS against the fake Kavenegar provider and the private nx-27017.

What an operator would notice: every sent message gets its report asked for, also when many
older ones never get a final status (the provider answers 100 for an id it no longer knows, or
the operator never reports); a message nobody reports on is asked about less and less often
and after three days not at all (it stays ``sent``); an undelivered one is failed with the
provider's status as the reason."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from typing import Any

import pytest
from campaign_it_support import CFG, NOON, customers, drain, due, sender_ctx  # type: ignore[import-not-found]
from peyvand_campaign.adapters import deliveries_repo
from peyvand_campaign.adapters.collections import DELIVERIES
from peyvand_campaign.adapters.senders.kavenegar import DELIVERED_STATUSES, UNDELIVERED_STATUSES
from peyvand_campaign.domain.delivery import Delivery
from peyvand_campaign.service_layer import sending
from peyvand_campaign.service_layer.renewal_batch import renewal_due_batch
from peyvand_runtime.ids import new_id

POLL = dt.timedelta(seconds=30)
_UNKNOWN_IDS = itertools.count(900_000_000)  # provider ids the fake never issued


def _sent_long_ago(db: Any, count: int, sent_at: dt.datetime, due_at: dt.datetime) -> list[str]:
    """SMS recorded as sent under provider ids the provider does not know (it answers 100)."""
    ids = []
    for _ in range(count):
        delivery = Delivery.queue(dedup_key=new_id("jrn") + ":30:sms", customer_id=new_id("cus"), channel="sms", purpose="service",
                                  template_id="tpl_x", now=sent_at)
        delivery.mark_sent(str(next(_UNKNOWN_IDS)), sent_at)
        deliveries_repo.insert_once(db, delivery, sent_at, {"report_due_ms": deliveries_repo.epoch_ms(due_at)})
        ids.append(delivery.id)
    return ids


def _poll(ctx: sending.SendContext, fetch: Any = None, page: int = 3) -> sending.ReportPoll:
    sms = ctx.senders["sms"]
    return sending.poll_sms_reports(ctx, fetch or sms.statuses, DELIVERED_STATUSES, UNDELIVERED_STATUSES, POLL, page=page)  # type: ignore[attr-defined]


def _send_renewal_sms(db: Any, provider: Any, clock: list[dt.datetime], count: int) -> list[str]:
    people = customers(db, count)
    assert renewal_due_batch(db, [due(c) for c in people], NOON, CFG) == {}
    assert drain(sender_ctx(db, provider, clock)) == ["sent"] * count
    return people


def test_new_messages_get_their_reports_behind_a_backlog_that_never_gets_one(db: Any, sms_provider: Any) -> None:
    clock = [NOON]
    # Seven older messages with no final report, all due before the new ones: more than two pages of 3.
    stuck = _sent_long_ago(db, 7, NOON - dt.timedelta(hours=2), NOON - dt.timedelta(minutes=5))
    people = _send_renewal_sms(db, sms_provider, clock, 2)
    sent = list(db[DELIVERIES].find({"customer_id": {"$in": people}}))
    assert all(d["report_due_ms"] == deliveries_repo.epoch_ms(NOON) for d in sent)  # the sent mark schedules the first check
    clock[0] = NOON + dt.timedelta(seconds=1)
    assert all(d["provider_message_id"] for d in sent)
    time.sleep(0.3)  # the fake provider reports delivery after 0.2 s
    poll = _poll(sender_ctx(db, sms_provider, clock))
    assert (poll.asked, poll.applied, poll.waiting, poll.given_up) == (9, 2, 7, 0)
    for doc in db[DELIVERIES].find({"customer_id": {"$in": people}}):
        assert doc["status"] == "delivered" and "report_due_ms" not in doc
    for doc in db[DELIVERIES].find({"_id": {"$in": stuck}}):
        # Two hours old: asked again in an hour, not at every poll.
        assert doc["status"] == "sent" and doc["report_due_ms"] == deliveries_repo.epoch_ms(clock[0] + dt.timedelta(hours=1, seconds=0.5))
    assert _poll(sender_ctx(db, sms_provider, clock)).asked == 0  # nothing due until then


def test_a_message_without_a_report_for_three_days_is_no_longer_asked_about(db: Any, sms_provider: Any) -> None:
    old = _sent_long_ago(db, 1, NOON - dt.timedelta(hours=72), NOON - dt.timedelta(hours=1))
    recent = _sent_long_ago(db, 1, NOON - dt.timedelta(minutes=1), NOON)
    poll = _poll(sender_ctx(db, sms_provider, [NOON]))
    assert (poll.asked, poll.given_up, poll.waiting) == (2, 1, 1)
    gone = db[DELIVERIES].find_one({"_id": old[0]})
    assert gone["status"] == "sent" and "report_due_ms" not in gone  # still sent, no report: not a failure
    assert db[DELIVERIES].find_one({"_id": recent[0]})["report_due_ms"] == deliveries_repo.epoch_ms(NOON + POLL)


def test_an_undelivered_message_fails_with_the_providers_status(db: Any, sms_provider: Any) -> None:
    clock = [NOON]
    people = customers(db, 1)
    sms_provider.undeliverable.add("09120000000")
    assert renewal_due_batch(db, [due(people[0])], NOON, CFG) == {}
    assert drain(sender_ctx(db, sms_provider, clock)) == ["sent"]
    time.sleep(0.3)
    assert _poll(sender_ctx(db, sms_provider, clock)).applied == 1
    doc = db[DELIVERIES].find_one({"customer_id": people[0]})
    assert doc["status"] == "failed" and doc["failure_reason"] == "kavenegar_status_11" and "report_due_ms" not in doc


def test_a_failed_poll_changes_nothing_and_the_messages_stay_due(db: Any, sms_provider: Any) -> None:
    ids = _sent_long_ago(db, 2, NOON - dt.timedelta(minutes=10), NOON)

    def unreachable(message_ids: list[str]) -> dict[str, int]:
        raise OSError("provider unreachable")

    with pytest.raises(OSError):
        _poll(sender_ctx(db, sms_provider, [NOON]), fetch=unreachable)
    assert [d["report_due_ms"] for d in db[DELIVERIES].find({"_id": {"$in": ids}})] == [deliveries_repo.epoch_ms(NOON)] * 2


def test_messages_sent_before_per_message_checks_get_one_once(db: Any) -> None:
    recent = _sent_long_ago(db, 2, NOON - dt.timedelta(hours=5), NOON)
    old = _sent_long_ago(db, 1, NOON - dt.timedelta(hours=80), NOON)
    db[DELIVERIES].update_many({}, {"$unset": {"report_due_ms": ""}})  # as an older release left them
    assert deliveries_repo.start_report_checks(db, NOON, NOON - dt.timedelta(hours=72)) == 2
    assert {d["_id"] for d in db[DELIVERIES].find({"report_due_ms": {"$lte": deliveries_repo.epoch_ms(NOON)}})} == set(recent)
    assert "report_due_ms" not in db[DELIVERIES].find_one({"_id": old[0]})

