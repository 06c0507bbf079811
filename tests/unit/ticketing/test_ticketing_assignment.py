"""Queue assignment: round-robin, least-loaded, skills, capacity and manual reassignment."""

from __future__ import annotations

import pytest
from peyvand_runtime.domain import ValidationError
from peyvand_ticketing.domain.assignment import (
    LEAST_LOADED,
    Queue,
    QueueMember,
    RoundRobinState,
    choose_assignee,
    least_loaded,
    round_robin,
    validate_manual_assignment,
    with_load_change,
)


def queue(*members: QueueMember, strategy: str = "round_robin") -> Queue:
    return Queue("queue-1021-claims", "Claims desk", "1021", "claims", members, strategy, lead_user_id="usr_lead")


def test_round_robin_rotates_and_wraps() -> None:
    q = queue(QueueMember("usr_a"), QueueMember("usr_b"), QueueMember("usr_c"))
    state, picked = RoundRobinState(), []
    for _ in range(4):
        decision = round_robin(q, "motor_claim", state)
        picked.append(decision.assignee_id)
        state = decision.state
    assert picked == ["usr_a", "usr_b", "usr_c", "usr_a"]


def test_round_robin_skips_unavailable_and_full_members() -> None:
    q = queue(QueueMember("usr_a"), QueueMember("usr_b", available=False), QueueMember("usr_c", load=5, max_load=5), QueueMember("usr_d"))
    decision = round_robin(q, "motor_claim", RoundRobinState(0))
    assert decision.assignee_id == "usr_d" and decision.state == RoundRobinState(3)


def test_skills_filter_by_category() -> None:
    q = queue(
        QueueMember("usr_motor", skills=frozenset({"motor_claim"})),
        QueueMember("usr_health", skills=frozenset({"health_claim", "complaint"})),
    )
    assert round_robin(q, "health_claim", RoundRobinState()).assignee_id == "usr_health"
    assert round_robin(q, "motor_claim", RoundRobinState(0)).assignee_id == "usr_motor"


def test_nobody_available_leaves_the_ticket_in_the_queue_with_a_reason() -> None:
    state = RoundRobinState(1)
    away = queue(QueueMember("usr_a", available=False), QueueMember("usr_b", available=False))
    decision = choose_assignee(away, "motor_claim", state)
    assert not decision.assigned and decision.reason == "no_member_available" and decision.state == state
    unskilled = queue(QueueMember("usr_a", skills=frozenset({"life"})))
    assert choose_assignee(unskilled, "motor_claim").reason == "no_member_with_skill"
    assert choose_assignee(queue(), "motor_claim").reason == "queue_has_no_members"


def test_least_loaded_picks_the_lightest_and_rotates_on_ties() -> None:
    q = queue(QueueMember("usr_a", load=4), QueueMember("usr_b", load=1), QueueMember("usr_c", load=1), strategy=LEAST_LOADED)
    first = choose_assignee(q, "motor_claim")
    assert first.assignee_id == "usr_b"
    second = least_loaded(with_load_change(q, "usr_b", +1), "motor_claim", first.state)
    assert second.assignee_id == "usr_c"
    third = least_loaded(q, "motor_claim", second.state)  # same loads again: rotation continues past usr_c
    assert third.assignee_id == "usr_b"


def test_load_never_goes_negative() -> None:
    q = with_load_change(queue(QueueMember("usr_a", load=0)), "usr_a", -1)
    assert q.member("usr_a").load == 0  # type: ignore[union-attr]


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValidationError):
        choose_assignee(queue(QueueMember("usr_a"), strategy="random"), "motor_claim")


def test_manual_assignment_checks_membership_availability_and_skill() -> None:
    q = queue(QueueMember("usr_a", available=False, skills=frozenset({"life"})), QueueMember("usr_b"))
    validate_manual_assignment(q, "usr_b", "motor_claim")
    with pytest.raises(ValidationError) as raised:
        validate_manual_assignment(q, "usr_stranger", "motor_claim")
    assert [v.field for v in raised.value.violations] == ["assignee_id"]
    with pytest.raises(ValidationError) as raised:
        validate_manual_assignment(q, "usr_a", "motor_claim")
    assert len(raised.value.violations) == 2
    validate_manual_assignment(q, "usr_a", "motor_claim", override=True)
    with pytest.raises(ValidationError):
        validate_manual_assignment(q, "usr_stranger", "motor_claim", override=True)
