"""Relationships stay consistent on both sides; households group persons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from peyvand_customer.domain.party import Party
from peyvand_customer.domain.relationships import form_household, leave_household, link, unlink
from peyvand_customer.domain.values import Relationship
from peyvand_runtime.domain import DomainError, InvalidTransition, ValidationError

NOW = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC)
KW: dict[str, Any] = {"by": "usr_clerk", "channel": "web", "now": NOW}


@pytest.mark.parametrize(("kind", "inverse"), [("spouse", "spouse"), ("parent", "child"), ("child", "parent"), ("sibling", "sibling")])
def test_link_sets_the_inverse(make_person: Callable[..., Party], kind: str, inverse: str) -> None:
    a = make_person(birth_date=dt.date(1990, 1, 1) if kind != "child" else dt.date(1960, 1, 1))
    b = make_person(birth_date=dt.date(1960, 1, 1) if kind != "child" else dt.date(1990, 1, 1))
    assert link(a, b, kind, **KW)
    assert a.relationships == [Relationship(kind, b.id)]
    assert b.relationships == [Relationship(inverse, a.id)]
    assert [e.payload["changed_fields"] for e in a.pull_events() + b.pull_events()] == [["relationships"], ["relationships"]]
    assert not link(a, b, kind, **KW)  # already linked: nothing recorded
    assert a.pull_events() == [] and b.pull_events() == []


def test_link_repairs_a_one_sided_relationship(make_person: Callable[..., Party]) -> None:
    a, b = make_person(), make_person()
    a.relationships = [Relationship("spouse", b.id)]
    assert link(a, b, "spouse", **KW)
    assert b.relationships == [Relationship("spouse", a.id)] and a.pull_events() == []


def test_employment_between_person_and_organisation(make_person: Callable[..., Party], make_org: Callable[..., Party]) -> None:
    employee, company = make_person(), make_org()
    link(employee, company, "employer", **KW)
    assert company.relationships == [Relationship("employee", employee.id)]
    with pytest.raises(DomainError) as error:
        link(employee, company, "employee", **KW)  # "company is employee's employee": not a person
    assert error.value.code == "CUSTOMER_RELATIONSHIP_INVALID"
    with pytest.raises(DomainError):
        link(employee, company, "spouse", **KW)


def test_refused_links(make_person: Callable[..., Party]) -> None:
    a, b = make_person(birth_date=dt.date(1990, 1, 1)), make_person(birth_date=dt.date(1960, 1, 1))
    with pytest.raises(DomainError) as error:
        link(a, a, "sibling", **KW)
    assert error.value.code == "CUSTOMER_RELATIONSHIP_INVALID"
    with pytest.raises(DomainError):
        link(b, a, "parent", **KW)  # a parent born after the child
    link(a, b, "parent", **KW)
    with pytest.raises(DomainError):
        link(a, b, "spouse", **KW)  # contradicts parent
    with pytest.raises(ValidationError):
        link(a, b, "cousin", **KW)
    b.status = "merged"
    with pytest.raises(InvalidTransition):
        link(a, b, "sibling", **KW)


def test_unlink_both_ways(make_person: Callable[..., Party], make_org: Callable[..., Party]) -> None:
    a, b, company = make_person(), make_person(), make_org()
    link(a, b, "sibling", **KW)
    link(a, company, "employer", **KW)
    assert unlink(a, b, "sibling", **KW)
    assert a.relationships == [Relationship("employer", company.id)] and b.relationships == []
    assert not unlink(a, b, **KW)
    assert unlink(company, a, **KW)
    assert a.relationships == [] and company.relationships == []


def test_households(make_person: Callable[..., Party], make_org: Callable[..., Party]) -> None:
    a, b = make_person(), make_person()
    changed = form_household([a, b], "hh_01J0000000000000000000000A", **KW)
    assert changed == [a, b] and a.household_id == b.household_id == "hh_01J0000000000000000000000A"
    assert form_household([a, b], "hh_01J0000000000000000000000A", **KW) == []
    assert a.pull_events()[0].payload["household_id"] == "hh_01J0000000000000000000000A"
    with pytest.raises(DomainError):
        form_household([a, make_org()], "hh_01J0000000000000000000000B", **KW)
    with pytest.raises(DomainError):
        form_household([a], "hh_01J0000000000000000000000B", **KW)
    with pytest.raises(ValidationError):
        form_household([a, b], "cus_01J0000000000000000000000B", **KW)
    assert leave_household(a, **KW) and a.household_id == ""
    assert not leave_household(a, **KW)
