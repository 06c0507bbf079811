"""Lookup keys a party is found by (scalar slots: the embedded store cannot index arrays)."""

from __future__ import annotations

from peyvand_customer.domain.commands import ContactPointInput
from peyvand_customer.domain.lookup import SLOTS, lookup_keys, slot_fields


def test_keys_cover_whole_name_tokens_and_primary_mobile_first(make_person) -> None:  # type: ignore[no-untyped-def]
    party = make_person(first_name="محمد\u200cرضا", last_name="كاظمي", contact_points=(ContactPointInput("mobile", "+98 912 000 1122"), ContactPointInput("email", "A@B.example.com")))
    keys = lookup_keys(party)
    assert keys[:2] == ["n:محمدرضاکاظمی", "m:+989120001122"]
    assert {"n:محمد", "n:رضا", "n:کاظمی", "n:محمدرضا", "e:a@b.example.com"} <= set(keys)


def test_keys_never_exceed_the_slots_and_unused_slots_are_empty(make_person) -> None:  # type: ignore[no-untyped-def]
    many = tuple(ContactPointInput("mobile", f"0912000{i:04d}") for i in range(12))
    party = make_person(contact_points=many)
    slots = slot_fields(party)
    assert len(slots) == SLOTS and all(v for v in slots.values())
    few = slot_fields(make_person(first_name="علی", last_name="نوری", contact_points=()))
    assert [k for k, v in few.items() if v is None] and few["k0"] == "n:علینوری"


def test_replace_contact_points_validates_and_records_a_change(make_person, now) -> None:  # type: ignore[no-untyped-def]
    import pytest
    from peyvand_runtime.domain import ValidationError

    party = make_person()
    with pytest.raises(ValidationError) as bad:
        party.replace_contact_points([ContactPointInput("mobile", "0912")], by="u", channel="t", now=now)
    assert [v.field for v in bad.value.violations] == ["contact_points[0].value"]
    assert party.replace_contact_points([ContactPointInput("email", "x@example.com")], by="u", channel="t", now=now)
    assert [p.kind for p in party.contact_points] == ["email"]
    assert [e.type for e in party.pull_events()] == ["customer.updated"]
