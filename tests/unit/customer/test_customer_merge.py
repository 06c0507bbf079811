"""Merging duplicates: the survivor keeps its data, fills gaps, unites contacts and consent once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from peyvand_customer.domain.commands import ConsentInput, ContactPointInput
from peyvand_customer.domain.merge import merge
from peyvand_customer.domain.party import Party
from peyvand_customer.domain.relationships import link
from peyvand_customer.domain.values import Relationship
from peyvand_runtime.domain import DomainError

NOW = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=10)
KW: dict[str, Any] = {"by": "usr_clerk", "channel": "web", "now": NOW}


def test_merge_fills_gaps_and_unites(make_person: Callable[..., Party], national_id: Callable[[str], str]) -> None:
    survivor = make_person(
        father_name="",
        gender="unspecified",
        roles=("policyholder",),
        tags=("vip",),
        contact_points=(ContactPointInput("mobile", "09121234567"), ContactPointInput("email", "ali@example.com")),
        consents=(ConsentInput("sms", "marketing", True, source="web", at=NOW - dt.timedelta(days=5)),),
    )
    other = make_person(
        first_name="علي",
        father_name="حسن",
        national_id=national_id("001354241"),
        gender="male",
        agent_id="agt_7",
        branch_code="B7",
        roles=("prospect",),
        tags=("بازنشسته", "vip"),
        contact_points=(
            ContactPointInput("mobile", "09351112233", primary=True),
            ContactPointInput("mobile", "+989121234567", verified=True),
            ContactPointInput("landline", "021-88888888"),
        ),
        consents=(
            ConsentInput("sms", "marketing", False, source="sms_stop", at=NOW - dt.timedelta(days=1)),
            ConsentInput("email", "marketing", True, source="import", at=NOW - dt.timedelta(days=9)),
        ),
    )
    result = merge(survivor, other, now=LATER, by="usr_lead")
    assert result.merged
    assert survivor.first_name == "علی"  # survivor's own value kept
    assert survivor.father_name == "حسن" and survivor.national_id == national_id("001354241") and survivor.gender == "male"
    assert (survivor.agent_id, survivor.branch_code) == ("agt_7", "B7")
    assert [(p.kind, p.value, p.primary, p.verified) for p in survivor.contact_points] == [
        ("mobile", "+989121234567", True, True),
        ("email", "ali@example.com", True, False),
        ("mobile", "+989351112233", False, False),
        ("landline", "+982188888888", True, False),
    ]
    assert survivor.consent_for("sms", "marketing") is False  # the more recent decision wins
    assert survivor.consent_for("email", "marketing") is True
    assert len(survivor.consent_history) == 3
    assert survivor.roles == {"policyholder", "prospect"} and survivor.tags == ["vip", "بازنشسته"]
    assert other.status == "merged" and other.merged_into == survivor.id
    events = survivor.pull_events()
    assert [e.type for e in events] == ["customer.updated", "customer.merged"]
    assert "father_name" in events[0].payload["changed_fields"]
    merged = events[1].payload
    assert merged["survivor_id"] == survivor.id and merged["merged_id"] == other.id
    assert merged["merged_customer_number"] == other.customer_number and merged["at"] == "2025-06-11T08:30:00Z"
    assert other.pull_events() == []
    assert [a.action for a in other.pull_audit()] == ["merged_into"]
    assert "merge" in [a.action for a in survivor.pull_audit()]


def test_merging_the_same_pair_again_is_a_no_op(make_person: Callable[..., Party]) -> None:
    survivor, other = make_person(), make_person()
    merge(survivor, other, now=NOW, by="u")
    survivor.pull_events()
    result = merge(survivor, other, now=LATER, by="u")
    assert not result.merged and survivor.pull_events() == [] and other.pull_events() == []


def test_survivor_wins_consent_ties(make_person: Callable[..., Party]) -> None:
    survivor = make_person(consents=(ConsentInput("sms", "marketing", True, source="a", at=NOW),))
    other = make_person(consents=(ConsentInput("sms", "marketing", False, source="b", at=NOW),))
    merge(survivor, other, now=LATER, by="u")
    assert survivor.consent_for("sms", "marketing") is True


@pytest.mark.parametrize("case", ["self", "into_merged", "already_elsewhere", "kinds", "two_national_ids"])
def test_invalid_merges(
    make_person: Callable[..., Party], make_org: Callable[..., Party], national_id: Callable[[str], str], case: str
) -> None:
    a, b, c = make_person(), make_person(), make_person()
    if case == "self":
        pair = (a, a)
    elif case == "into_merged":
        merge(c, a, now=NOW, by="u")
        pair = (a, b)
    elif case == "already_elsewhere":
        merge(c, b, now=NOW, by="u")
        pair = (a, b)
    elif case == "kinds":
        pair = (a, make_org())
    else:
        a.national_id, b.national_id = national_id("001354241"), national_id("123456789")
        pair = (a, b)
    with pytest.raises(DomainError) as error:
        merge(*pair, now=LATER, by="u")
    assert error.value.code == "CUSTOMER_MERGE_INVALID"


def test_relationships_are_repointed(make_person: Callable[..., Party]) -> None:
    survivor, other = make_person(), make_person()
    spouse, child = make_person(birth_date=dt.date(1986, 1, 1)), make_person(birth_date=dt.date(2010, 1, 1))
    link(other, spouse, "spouse", **KW)
    link(child, other, "parent", **KW)
    link(survivor, other, "sibling", **KW)
    result = merge(survivor, other, now=LATER, by="u", related=[spouse, child, survivor])
    assert survivor.relationships == [Relationship("spouse", spouse.id), Relationship("child", child.id)]
    assert spouse.relationships == [Relationship("spouse", survivor.id)]
    assert child.relationships == [Relationship("parent", survivor.id)]
    assert other.relationships == []
    assert [p.id for p in result.related_changed] == [spouse.id, child.id]
