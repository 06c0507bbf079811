"""The policy state machine: every status × command, history entries, issue, customer repointing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from peyvand_policy.domain.lifecycle import COMMANDS, STATUSES, TRANSITIONS
from peyvand_policy.domain.policy import Policy
from peyvand_policy.domain.products import get_product
from peyvand_policy.domain.renewal import renewal_quote
from peyvand_runtime.domain import InvalidTransition, ValidationError
from policy_builders import AGENT, BRANCH, CHILD, CLERK, HOLDER, SPOUSE, TERM_END, TODAY, fixed_id, issue_policy, make_quote

DAY = dt.timedelta(days=1)
RENEW_DAY = TERM_END - 10 * DAY
MID_TERM = TODAY + 30 * DAY

# Written out by hand on purpose: the test must not just re-read the table it checks.
EXPECTED = {
    ("active", "endorse"): "active",
    ("active", "renew"): "renewed",
    ("active", "lapse"): "lapsed",
    ("active", "cancel"): "cancelled",
    ("active", "notify_renewal"): "active",
}


def policy_in(status: str) -> Policy:
    policy = issue_policy()
    if status == "renewed":
        policy.renew(renewal_quote(policy, get_product("motor_tpl"), RENEW_DAY, quote_id=fixed_id("qte", 2)),
                     "1021-1405-000002", RENEW_DAY, CLERK)
    elif status == "lapsed":
        policy.lapse(TERM_END + DAY)
    elif status == "cancelled":
        policy.cancel("sold the car", MID_TERM, MID_TERM, CLERK)
    policy.pull_events()
    assert policy.status == status
    return policy


def run(policy: Policy, command: str) -> None:
    actions: dict[str, Callable[[], object]] = {
        "endorse": lambda: policy.endorse({"inputs": {"usage": "taxi"}}, MID_TERM, 85_532_000, MID_TERM, CLERK),
        "renew": lambda: policy.renew(
            make_quote(today=RENEW_DAY, term_start=TERM_END + DAY, renewal_of=policy.id, n=3),
            "1021-1405-000003", RENEW_DAY, CLERK),
        "lapse": lambda: policy.lapse(TERM_END + DAY),
        "cancel": lambda: policy.cancel("customer request", MID_TERM, MID_TERM, CLERK),
        "notify_renewal": lambda: policy.mark_renewal_notice(30, policy.term_end),
    }
    actions[command]()


def test_the_transition_table_is_the_expected_one() -> None:
    assert dict(TRANSITIONS) == EXPECTED


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_status_and_command(status: str, command: str) -> None:
    policy = policy_in(status)
    history_before = list(policy.history)
    if (status, command) in EXPECTED:
        run(policy, command)
        assert policy.status == EXPECTED[(status, command)]
    else:
        with pytest.raises(InvalidTransition) as raised:
            run(policy, command)
        assert raised.value.code == "POLICY_INVALID_TRANSITION"
        assert policy.status == status
        assert policy.history == history_before
        assert policy.pending_events == ()


def test_issue_records_history_and_a_full_snapshot() -> None:
    at = dt.datetime(2026, 3, 21, 6, 30, tzinfo=dt.UTC)
    quote = make_quote()
    policy = Policy.issue(quote, "۱۰۲۱-۱۴۰۵-۰۰۰۰۰۱", TODAY, CLERK, at=at, policy_id=fixed_id("pol", 1))
    assert quote.status == "used" and quote.policy_id == policy.id
    assert [(h.kind, h.from_status, h.to_status, h.on, h.by) for h in policy.history] == [
        ("issued", None, "active", TODAY, CLERK)]
    assert policy.history[0].to_dict()["at"] == "2026-03-21T06:30:00Z"
    [event] = policy.pull_events()
    assert event.type == "policy.issued"
    payload = event.payload
    assert payload["policy_id"] == policy.id and payload["policy_number"] == "1021-1405-000001"
    assert (payload["holder_id"], payload["insured_ids"], payload["agent_id"], payload["branch_code"]) == (
        HOLDER, [HOLDER], AGENT, BRANCH)
    assert (payload["term_start"], payload["term_end"], payload["expires_at"]) == (
        "2026-03-21", "2027-03-20", "2027-03-20T20:30:00Z")
    assert (payload["premium"], payload["vat"], payload["premium_charged"]) == (68_425_000, 6_842_500, 68_425_000)
    assert [c["code"] for c in payload["coverages"]] == ["bodily_injury", "property_damage", "driver_accident"]
    assert (payload["status"], payload["renewal_of"], payload["renewed_by"]) == ("active", None, None)
    assert payload["inputs"]["no_claims_years"] == 3


def test_issue_refuses_an_expired_quote() -> None:
    quote = make_quote(term_start=TODAY + 20 * DAY)
    with pytest.raises(InvalidTransition) as raised:
        Policy.issue(quote, "1021-1405-000001", TODAY + 16 * DAY, CLERK)
    assert raised.value.code == "QUOTE_EXPIRED"


def test_issue_refuses_a_renewal_quote_and_a_foreign_branch_number() -> None:
    renewal = make_quote(term_start=TODAY + 20 * DAY, renewal_of=fixed_id("pol", 9))
    with pytest.raises(ValidationError) as raised:
        Policy.issue(renewal, "1021-1405-000001", TODAY, CLERK)
    assert raised.value.violations[0].field == "quote_id"
    with pytest.raises(ValidationError) as raised:
        Policy.issue(make_quote(), "2040-1405-000001", TODAY, CLERK)
    assert raised.value.violations[0].field == "policy_number"


def test_history_keeps_every_step_with_who_and_why() -> None:
    policy = issue_policy()
    endorsement = policy.endorse({"inputs": {"usage": "taxi"}}, MID_TERM, 85_532_000, MID_TERM, CLERK)
    policy.cancel("sold the car", MID_TERM + DAY, MID_TERM, fixed_id("usr", 2))
    assert [(h.kind, h.from_status, h.to_status, h.by, h.reason) for h in policy.history] == [
        ("issued", None, "active", CLERK, ""),
        ("endorsed", "active", "active", CLERK, endorsement.id),
        ("cancelled", "active", "cancelled", fixed_id("usr", 2), "sold the car"),
    ]


def test_after_expiry_only_lapse_is_left() -> None:
    policy = issue_policy()
    for attempt in (
        lambda: policy.endorse({"inputs": {"usage": "taxi"}}, TERM_END, 85_532_000, TERM_END + DAY, CLERK),
        lambda: policy.cancel("late", TERM_END + DAY, TERM_END + DAY, CLERK),
    ):
        with pytest.raises(InvalidTransition) as raised:
            attempt()
        assert raised.value.code == "POLICY_INVALID_TRANSITION"
    policy.lapse(TERM_END + DAY)
    assert policy.status == "lapsed"


def test_repoint_customer_after_a_merge() -> None:
    policy = issue_policy("health_supp", inputs={"plan_tier": "silver", "age": 40, "insured_count": 3},
                          insured_ids=(HOLDER, SPOUSE, CHILD))
    policy.pull_events()
    assert policy.repoint_customer(HOLDER, SPOUSE) is True
    assert policy.holder_id == SPOUSE
    assert policy.insured_ids == (SPOUSE, CHILD)
    [event] = policy.pull_events()
    assert event.type == "policy.customer_repointed"
    assert (event.payload["old_customer_id"], event.payload["new_customer_id"], event.payload["roles"]) == (
        HOLDER, SPOUSE, ["holder", "insured"])
    assert policy.repoint_customer(HOLDER, SPOUSE) is False
    assert policy.pending_events == ()


def test_repoint_works_on_a_closed_policy() -> None:
    policy = policy_in("cancelled")
    assert policy.repoint_customer(HOLDER, fixed_id("cus", 7)) is True
    assert policy.holder_id == fixed_id("cus", 7)
