"""Journeys: renewal steps by notice window, stop/convert on policy events, merges and dedup."""

from __future__ import annotations

import datetime as dt

import pytest
from peyvand_campaign.domain.journeys import (
    AGENT_TASK,
    DEFINITIONS,
    Journey,
    JourneyDefinition,
    JourneyStep,
    message_dedup_key,
)
from peyvand_runtime.domain import ValidationError
from peyvand_runtime.tehran_time import UTC, expiry_instant

RENEWAL = DEFINITIONS["renewal"]
TERM_END = dt.date(2026, 7, 31)
T0 = dt.datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


def at(days: int) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def renewal() -> Journey:
    return Journey.start("renewal", "cus_1", T0, policy_id="pol_1", term_end=TERM_END)


def test_renewal_journey_has_an_id_and_a_natural_key_per_policy_term() -> None:
    journey = renewal()
    assert journey.id.startswith("jrn_") and journey.status == "active"
    assert journey.natural_key == "renewal:pol_1:2026-07-31"


def test_renewal_needs_a_policy_and_term_end() -> None:
    with pytest.raises(ValidationError) as caught:
        Journey.start("renewal", "cus_1", T0)
    assert {v.field for v in caught.value.violations} == {"policy_id", "term_end"}
    with pytest.raises(ValidationError):
        Journey.start("birthday", "cus_1", T0)


@pytest.mark.parametrize(("window", "channels"), [(30, ("sms",)), (15, ("email",)), (1, ("sms", "push"))])
def test_renewal_windows_map_to_message_steps(window: int, channels: tuple[str, ...]) -> None:
    journey = renewal()
    plan = journey.plan(window, T0, RENEWAL)
    assert plan.outcome == "planned"
    assert tuple(m.channel for m in plan.messages) == channels
    for message in plan.messages:
        assert message.dedup_key == f"{journey.id}:{window}:{message.channel}"
        assert message.template == f"renewal.{window}.{message.channel}"
        assert message.purpose == "service"
        assert message.about_instant == expiry_instant(TERM_END)
    assert journey.pending_events == ()


def test_seven_days_before_expiry_asks_ticketing_for_an_agent_call() -> None:
    journey = renewal()
    now = dt.datetime(2026, 7, 24, 5, 0, tzinfo=UTC)
    plan = journey.plan(7, now, RENEWAL, agent_id="agt_9", branch_code="THR-01", policy_number="TP-1")
    assert plan.messages == () and plan.agent_task is not None
    (event,) = journey.pull_events()
    assert event.type == "campaign.agent_task_requested"
    assert event.payload == {
        "journey_id": journey.id, "journey_kind": "renewal", "customer_id": "cus_1", "policy_id": "pol_1",
        "policy_number": "TP-1", "agent_id": "agt_9", "branch_code": "THR-01", "window": 7,
        "term_end": "2026-07-31", "due_date": "2026-07-27", "dedup_key": f"{journey.id}:7:agent_task",
        "requested_at": "2026-07-24T05:00:00Z",
    }


def test_agent_task_is_never_due_after_the_term_ends() -> None:
    definition = JourneyDefinition("renewal", "service", (JourneyStep(1, AGENT_TASK, task_due_in_days=3),))
    plan = renewal().plan(1, dt.datetime(2026, 7, 30, 5, 0, tzinfo=UTC), definition)
    assert plan.agent_task is not None and plan.agent_task.due_date == TERM_END


def test_windows_without_a_step_are_recorded_and_send_nothing() -> None:
    journey = renewal()
    plan = journey.plan(45, T0, RENEWAL)
    assert plan.outcome == "no_step" and plan.messages == () and plan.agent_task is None
    assert journey.steps_done[45].outcome == "no_step"


def test_a_window_is_planned_once_so_no_message_is_sent_twice() -> None:
    journey = renewal()
    first = journey.plan(30, T0, RENEWAL)
    again = journey.plan(30, at(1), RENEWAL)
    assert len(first.messages) == 1 and again.outcome == "already_done" and again.messages == ()
    journey.plan(7, T0, RENEWAL)
    journey.plan(7, T0, RENEWAL)
    assert len(journey.pull_events()) == 1


def test_dedup_keys_are_unique_per_journey_window_and_channel() -> None:
    journey = renewal()
    keys = [m.dedup_key for w in (30, 15, 1) for m in journey.plan(w, T0, RENEWAL).messages]
    assert len(keys) == len(set(keys)) == 4
    other = renewal()
    assert message_dedup_key(other.id, 30, "sms") not in keys


def test_renewed_after_a_message_converts_and_records_the_conversion() -> None:
    journey = renewal()
    (message,) = journey.plan(30, at(0), RENEWAL).messages
    journey.record_message_outcome(message.dedup_key, "sent", at(0))
    assert journey.apply_policy_event("policy.renewed", at(3)) is True
    assert journey.status == "converted" and journey.stopped_reason == "renewed"
    (event,) = journey.pull_events()
    assert event.type == "campaign.converted"
    assert event.payload["first_message_sent_at"] == "2026-06-01T06:00:00Z"
    assert event.payload["messages_sent_before"] == 1
    assert event.payload["converted_at"] == "2026-06-04T06:00:00Z"


def test_renewed_before_any_message_went_out_is_stopped_not_converted() -> None:
    journey = renewal()
    (message,) = journey.plan(30, at(0), RENEWAL).messages
    journey.record_message_outcome(message.dedup_key, "skipped:no_mobile", at(0))
    journey.apply_policy_event("policy.renewed", at(1))
    assert journey.status == "stopped" and journey.stopped_reason == "renewed"
    assert journey.pull_events() == []


def test_a_message_sent_after_the_renewal_does_not_count() -> None:
    journey = renewal()
    (message,) = journey.plan(30, at(0), RENEWAL).messages
    journey.record_message_outcome(message.dedup_key, "sent", at(2))
    journey.goal_reached(at(1))
    assert journey.status == "stopped"


def test_cancelled_policy_stops_the_journey_and_nothing_more_is_planned() -> None:
    journey = renewal()
    assert journey.apply_policy_event("policy.cancelled", at(1)) is True
    assert journey.status == "stopped" and journey.stopped_reason == "cancelled"
    assert journey.plan(15, at(2), RENEWAL).outcome == "journey_stopped"
    assert journey.apply_policy_event("policy.renewed", at(3)) is False  # replays change nothing


def test_lapse_completes_a_renewal_journey() -> None:
    journey = renewal()
    journey.apply_policy_event("policy.lapsed", at(70))
    assert journey.status == "completed" and journey.stopped_reason == "lapsed"


def test_a_late_failure_report_does_not_hide_a_sent_message() -> None:
    journey = renewal()
    (message,) = journey.plan(30, at(0), RENEWAL).messages
    journey.record_message_outcome(message.dedup_key, "sent", at(0))
    journey.record_message_outcome(message.dedup_key, "failed", at(0))
    assert journey.message_outcomes[message.dedup_key] == "sent"


def test_merge_repoints_the_journey_to_the_survivor() -> None:
    journey = renewal()
    journey.plan(30, T0, RENEWAL)
    assert journey.repoint_customer("cus_1", "cus_2") is True
    assert journey.customer_id == "cus_2" and journey.merged_customer_ids == ["cus_1"]
    assert journey.plan(30, at(1), RENEWAL).outcome == "already_done"
    assert journey.plan(15, at(1), RENEWAL).messages[0].customer_id == "cus_2"
    assert journey.repoint_customer("cus_3", "cus_4") is False


def test_window_on_counts_down_for_renewal_and_up_for_winback() -> None:
    assert renewal().window_on(dt.date(2026, 7, 1)) == 30
    winback = Journey.start("winback", "cus_1", T0, policy_id="pol_1")
    assert winback.window_on(dt.date(2026, 6, 4)) == 3
    plan = winback.plan(3, at(3), DEFINITIONS["winback"])
    assert plan.messages[0].purpose == "marketing" and plan.messages[0].about_instant is None


def test_survey_journey_starts_from_a_resolved_ticket() -> None:
    survey = Journey.start("survey", "cus_1", T0, ticket_id="tkt_1")
    plan = survey.plan(0, T0, DEFINITIONS["survey"])
    assert [m.channel for m in plan.messages] == ["sms"] and plan.messages[0].template == "survey.0.sms"
    assert survey.natural_key == "survey:tkt_1:"


def test_journeys_close_when_their_last_window_is_past() -> None:
    journey = renewal()
    assert journey.close_if_over(TERM_END, T0, RENEWAL) is False
    assert journey.close_if_over(TERM_END + dt.timedelta(days=30), T0, RENEWAL) is True
    assert journey.status == "completed" and journey.stopped_reason == "expired"


def test_the_wrong_definition_is_refused() -> None:
    with pytest.raises(ValidationError):
        renewal().plan(30, T0, DEFINITIONS["winback"])


def test_built_in_definitions_are_valid_and_bad_ones_name_the_step() -> None:
    for definition in DEFINITIONS.values():
        definition.validate()
    bad = JourneyDefinition("renewal", "service", (
        JourneyStep(30, "message", ("sms",)), JourneyStep(30, "fax"), JourneyStep(7, "message", ("pigeon",)),
    ))
    with pytest.raises(ValidationError) as caught:
        bad.validate()
    assert {v.field for v in caught.value.violations} == {
        "steps[0].templates.sms", "steps[1].window", "steps[1].action", "steps[2].channels"}
