"""Deliveries: queued → sent → delivered | failed, deterministic retries, recorded events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from peyvand_campaign.domain.delivery import MAX_ATTEMPTS, Delivery, backoff_delay
from peyvand_runtime.domain import DomainError, ValidationError

NOW = dt.datetime(2026, 6, 10, 8, 0, tzinfo=dt.UTC)


def queued(**overrides: object) -> Delivery:
    fields: dict[str, Any] = {"dedup_key": "jrn_1:30:sms", "customer_id": "cus_1", "channel": "sms", "purpose": "service",
                    "template_id": "tpl_1", "now": NOW, "journey_id": "jrn_1", "policy_id": "pol_1"}
    fields.update(overrides)
    return Delivery.queue(**fields)


def test_backoff_schedule_is_fixed_and_ends_after_five_attempts() -> None:
    delays = [backoff_delay(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays == [dt.timedelta(seconds=30), dt.timedelta(minutes=2), dt.timedelta(minutes=10),
                      dt.timedelta(hours=1), None]


def test_a_new_delivery_is_queued_and_due_at_its_send_time() -> None:
    later = NOW + dt.timedelta(hours=13)
    delivery = queued(send_at=later)
    assert delivery.id.startswith("dlv_") and delivery.status == "queued"
    assert not delivery.is_due(NOW) and delivery.is_due(later)


def test_bad_input_names_the_fields() -> None:
    with pytest.raises(ValidationError) as caught:
        queued(channel="fax", purpose="", dedup_key="")
    assert {v.field for v in caught.value.violations} == {"channel", "purpose", "dedup_key"}


def test_failed_attempts_retry_on_the_schedule_then_fail_for_good() -> None:
    delivery = queued()
    now = NOW
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        delivery.attempt_failed("provider_timeout", now)
        assert delivery.status == "queued"
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at
    assert waits == [dt.timedelta(seconds=30), dt.timedelta(minutes=2), dt.timedelta(minutes=10), dt.timedelta(hours=1)]
    delivery.attempt_failed("provider_timeout", now)
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS
    assert delivery.next_attempt_at is None
    (event,) = delivery.pull_events()
    assert event.type == "campaign.message_failed"
    assert event.payload["reason"] == "gave up after 5 attempts: provider_timeout"
    assert event.payload["attempts"] == 5


def test_a_permanent_error_fails_at_once() -> None:
    delivery = queued()
    delivery.attempt_failed("invalid_number", NOW, permanent=True)
    assert delivery.status == "failed" and delivery.failure_reason == "invalid_number"


def test_sent_then_delivered_records_message_sent_once() -> None:
    delivery = queued()
    delivery.attempt_failed("timeout", NOW)
    delivery.mark_sent("kavenegar-123", NOW + dt.timedelta(seconds=30))
    delivery.mark_delivered(NOW + dt.timedelta(minutes=1))
    delivery.mark_delivered(NOW + dt.timedelta(minutes=2))  # repeated delivery report
    assert delivery.status == "delivered" and delivery.attempts == 2
    (event,) = delivery.pull_events()
    assert event.type == "campaign.message_sent"
    assert event.payload == {
        "delivery_id": delivery.id, "dedup_key": "jrn_1:30:sms", "customer_id": "cus_1", "channel": "sms",
        "purpose": "service", "template_id": "tpl_1", "campaign_id": "", "journey_id": "jrn_1",
        "policy_id": "pol_1", "attempts": 2, "provider_message_id": "kavenegar-123",
        "sent_at": "2026-06-10T08:00:30Z",
    }


def test_undeliverable_after_sending_fails_the_message() -> None:
    delivery = queued()
    delivery.mark_sent("p-1", NOW)
    delivery.mark_undeliverable("handset_unreachable", NOW)
    assert delivery.status == "failed"
    assert [e.type for e in delivery.pull_events()] == ["campaign.message_sent", "campaign.message_failed"]


@pytest.mark.parametrize(("prepare", "action"), [
    ("sent", lambda d: d.mark_sent("again", NOW)),
    ("sent", lambda d: d.attempt_failed("x", NOW)),
    ("queued", lambda d: d.mark_delivered(NOW)),
    ("queued", lambda d: d.mark_undeliverable("x", NOW)),
    ("failed", lambda d: d.mark_sent("late", NOW)),
    ("failed", lambda d: d.mark_delivered(NOW)),
    ("delivered", lambda d: d.mark_undeliverable("x", NOW)),
    ("delivered", lambda d: d.cancel("x", NOW)),
])
def test_illegal_transitions_are_refused(prepare: str, action) -> None:  # type: ignore[no-untyped-def]
    delivery = queued()
    if prepare in ("sent", "delivered"):
        delivery.mark_sent("p-1", NOW)
    if prepare == "delivered":
        delivery.mark_delivered(NOW)
    if prepare == "failed":
        delivery.cancel("consent_revoked", NOW)
    with pytest.raises(DomainError) as caught:
        action(delivery)
    assert caught.value.code == "INVALID_TRANSITION"
    assert delivery.status == prepare


def test_a_configured_backoff_schedule_replaces_the_default_waits() -> None:
    fast = (dt.timedelta(seconds=1), dt.timedelta(seconds=2))
    delivery = queued()
    delivery.attempt_failed("provider_503", NOW, schedule=fast)
    assert delivery.next_attempt_at == NOW + dt.timedelta(seconds=1)
    delivery.attempt_failed("provider_503", NOW, schedule=fast)
    delivery.attempt_failed("provider_503", NOW, schedule=fast)
    assert delivery.next_attempt_at == NOW + dt.timedelta(seconds=2)  # the last wait repeats
    assert backoff_delay(MAX_ATTEMPTS, fast) is None


def test_a_skipped_message_takes_its_dedup_key_without_an_event_and_is_never_due() -> None:
    delivery = Delivery.skipped(dedup_key="cmp_1:cus_1", customer_id="cus_1", channel="sms", purpose="marketing",
                                template_id="tpl_1", reason="sms:marketing_not_granted", now=NOW, campaign_id="cmp_1")
    assert delivery.status == "skipped" and delivery.failure_reason == "sms:marketing_not_granted"
    assert not delivery.is_due(NOW + dt.timedelta(days=1))
    assert delivery.pull_events() == []
