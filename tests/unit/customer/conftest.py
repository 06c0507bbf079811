"""Shared fixtures for the customer domain tests: a fixed clock and party builders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from peyvand_customer.domain.commands import ContactPointInput, CreatePartyCommand
from peyvand_customer.domain.party import Party

NOW = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC)


def compute_national_id(head: str) -> str:
    """Independent textbook implementation, so tests do not trust the code under test."""
    total = sum(int(d) * w for d, w in zip(head, range(10, 1, -1), strict=True))
    r = total % 11
    return head + str(r if r < 2 else 11 - r)


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def national_id() -> Callable[[str], str]:
    return compute_national_id


@pytest.fixture
def make_person() -> Callable[..., Party]:
    counter = iter(range(1, 10_000))

    def build(**overrides: Any) -> Party:
        fields: dict[str, Any] = {
            "customer_number": f"C{next(counter):05d}",
            "first_name": "علی",
            "last_name": "رضایی",
            "father_name": "حسن",
            "birth_date": dt.date(1985, 3, 21),
            "gender": "male",
            "contact_points": (ContactPointInput("mobile", "09121234567"),),
        }
        fields.update(overrides)
        party = Party.create(CreatePartyCommand(**fields), now=NOW, by="usr_test", channel="test")
        party.pull_events()
        party.pull_audit()
        return party

    return build


@pytest.fixture
def make_org() -> Callable[..., Party]:
    counter = iter(range(1, 10_000))

    def build(**overrides: Any) -> Party:
        fields: dict[str, Any] = {"customer_number": f"O{next(counter):05d}", "kind": "organisation", "org_name": "شرکت پارس بازرگانی"}
        fields.update(overrides)
        party = Party.create(CreatePartyCommand(**fields), now=NOW, by="usr_test", channel="test")
        party.pull_events()
        party.pull_audit()
        return party

    return build
