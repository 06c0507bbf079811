"""Campaigns: creation checks, the status machine and results with an explicit conversion rate."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from peyvand_campaign.domain.campaign import TRANSITIONS, Campaign, CampaignResults
from peyvand_runtime.domain import DomainError, ValidationError
from peyvand_runtime.ids import new_id

NOW = dt.datetime(2026, 6, 10, 8, 0, tzinfo=dt.UTC)
TPL = new_id("tpl")
SEGMENT = {"field": "city", "op": "in", "value": ["تهران"]}


def draft(**overrides: object) -> Campaign:
    fields: dict[str, Any] = {"name": "تخفیف بدنه", "purpose": "marketing", "channel": "sms", "template_ids": {"sms": TPL},
                    "segment_rule": SEGMENT, "now": NOW, "schedule_at": NOW + dt.timedelta(days=1)}
    fields.update(overrides)
    return Campaign.create(**fields)


def fields_of(rule_error: ValidationError) -> set[str]:
    return {v.field for v in rule_error.violations}


def test_a_new_campaign_is_a_draft_with_a_cmp_id() -> None:
    campaign = draft()
    assert campaign.id.startswith("cmp_") and campaign.status == "draft"


def test_a_schedule_in_the_past_is_refused_naming_schedule_at() -> None:
    with pytest.raises(ValidationError) as caught:
        draft(schedule_at=NOW - dt.timedelta(minutes=1))
    assert fields_of(caught.value) == {"schedule_at"}


def test_unknown_channel_is_refused_naming_channel() -> None:
    with pytest.raises(ValidationError) as caught:
        draft(channel="fax")
    assert fields_of(caught.value) == {"channel"}


def test_templates_segment_and_kind_are_checked_with_paths() -> None:
    with pytest.raises(ValidationError) as caught:
        draft(name="", template_ids={"email": "nope", "fax": TPL},
              segment_rule={"all": [{"field": "city", "op": "like", "value": "x"}]})
    assert fields_of(caught.value) == {"name", "template_ids.sms", "template_ids.email", "template_ids.fax",
                                       "segment_rule.all[0].op"}
    with pytest.raises(ValidationError) as caught:
        draft(segment_rule=None)
    assert fields_of(caught.value) == {"segment_rule"}
    journey = draft(kind="journey", journey_kind="winback", segment_rule=None)
    assert journey.kind == "journey"


MOVES = {"scheduled": "schedule", "running": "start", "paused": "pause", "stopped": "stop", "completed": "complete"}
STATES = list(TRANSITIONS)


def in_state(status: str) -> Campaign:
    campaign = draft()
    campaign.status = status
    return campaign


@pytest.mark.parametrize("source", STATES)
@pytest.mark.parametrize("target", list(MOVES))
def test_status_machine_table(source: str, target: str) -> None:
    campaign = in_state(source)
    move = getattr(campaign, MOVES[target])
    if target in TRANSITIONS[source]:
        move(NOW)
        assert campaign.status == target
    else:
        with pytest.raises(DomainError) as caught:
            move(NOW)
        assert caught.value.code == "CAMPAIGN_INVALID_TRANSITION"
        assert campaign.status == source


def test_the_happy_path_and_resume() -> None:
    campaign = draft()
    campaign.schedule(NOW)
    assert not campaign.is_due(NOW) and campaign.is_due(NOW + dt.timedelta(days=1))
    campaign.start(NOW)
    campaign.pause(NOW)
    assert not campaign.sends_messages
    campaign.resume(NOW)
    assert campaign.sends_messages
    campaign.complete(NOW)
    assert campaign.status == "completed"
    with pytest.raises(DomainError):
        campaign.resume(NOW)


def test_scheduling_a_draft_whose_time_has_slipped_into_the_past_is_refused() -> None:
    campaign = draft()
    with pytest.raises(ValidationError) as caught:
        campaign.schedule(NOW + dt.timedelta(days=2))
    assert fields_of(caught.value) == {"schedule_at"} and campaign.status == "draft"


def test_only_drafts_can_be_revised_and_a_bad_revision_changes_nothing() -> None:
    campaign = draft()
    campaign.revise(NOW, name="تخفیف ثالث")
    assert campaign.name == "تخفیف ثالث"
    with pytest.raises(ValidationError):
        campaign.revise(NOW, channel="fax")
    assert campaign.channel == "sms"
    campaign.schedule(NOW)
    with pytest.raises(DomainError) as caught:
        campaign.revise(NOW, name="x")
    assert caught.value.code == "CAMPAIGN_INVALID_TRANSITION"


def test_conversion_rate_is_explicit_when_nobody_was_messaged() -> None:
    empty = CampaignResults()
    assert empty.conversion_rate is None and empty.conversion_rate_text() == "n/a (no customers messaged)"
    results = CampaignResults(sent=10, delivered=8, failed=1, opted_out=1, converted=2, customers_messaged=8)
    assert results.conversion_rate == 0.25 and results.conversion_rate_text() == "25.0%"


def test_results_are_tallied_from_deliveries() -> None:
    deliveries = [SimpleNamespace(customer_id=c, status=s) for c, s in [
        ("cus_1", "delivered"), ("cus_1", "sent"), ("cus_2", "failed"), ("cus_3", "queued"), ("cus_4", "delivered")]]
    results = CampaignResults.tally(deliveries, converted_customer_ids=["cus_1", "cus_2"], opted_out_customer_ids=["cus_4"])
    assert results == CampaignResults(sent=3, delivered=2, failed=1, opted_out=1, converted=1, customers_messaged=2)
    assert results.conversion_rate == 0.5


def test_broadcast_dedup_key_is_per_customer() -> None:
    campaign = draft()
    assert campaign.broadcast_dedup_key("cus_1") == f"{campaign.id}:cus_1"
