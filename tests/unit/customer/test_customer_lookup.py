"""Lookup keys a party is found by (scalar slots: the embedded store cannot index arrays)."""

from __future__ import annotations

from peyvand_customer.domain.commands import ContactPointInput
from peyvand_customer.domain.lookup import CONTACT_SLOTS, NAME_SLOTS, SLOTS, lookup_keys, slot_fields


def test_name_keys_are_the_name_from_each_token_on_then_contacts(make_person) -> None:  # type: ignore[no-untyped-def]
    party = make_person(first_name="محمد\u200cرضا", last_name="كاظمي", contact_points=(ContactPointInput("email", "A@B.example.com"), ContactPointInput("mobile", "+98 912 000 1122")))
    assert lookup_keys(party) == ["n:محمدرضاکاظمی", "n:رضاکاظمی", "n:کاظمی", "m:+989120001122", "e:a@b.example.com"]
    slots = slot_fields(party)
    assert [slots[f"k{i}"] for i in NAME_SLOTS] == ["n:محمدرضاکاظمی", "n:رضاکاظمی", "n:کاظمی", None]
    assert [slots[f"k{i}"] for i in CONTACT_SLOTS] == ["m:+989120001122", "e:a@b.example.com", None, None]
    # every token and every compound part typed without spaces is a prefix of a name key
    names = [k for k in lookup_keys(party) if k.startswith("n:")]
    for typed in ("محمد", "رضا", "کاظمی", "محمدرضا", "رضاکاظ"):
        assert any(k.startswith("n:" + typed) for k in names), typed


def test_keys_never_exceed_the_slots_and_unused_slots_are_empty(make_person) -> None:  # type: ignore[no-untyped-def]
    many = tuple(ContactPointInput("mobile", f"0912000{i:04d}") for i in range(12))
    party = make_person(first_name="سید محمد", last_name="میر حسینی زاده", contact_points=many)
    slots = slot_fields(party)
    assert len(slots) == SLOTS and all(v for v in slots.values())
    assert [slots[f"k{i}"] for i in NAME_SLOTS] == ["n:سیدمحمدمیرحسینیزاده", "n:محمدمیرحسینیزاده", "n:میرحسینیزاده", "n:حسینیزاده"]
    assert all(str(slots[f"k{i}"]).startswith("m:") for i in CONTACT_SLOTS)
    few = slot_fields(make_person(first_name="علی", last_name="نوری", contact_points=()))
    assert few == {"k0": "n:علینوری", "k1": "n:نوری", **{f"k{i}": None for i in range(2, SLOTS)}}


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
