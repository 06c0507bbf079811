"""The Party aggregate: creation with every violation at once, updates, consent, contacts, audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from peyvand_customer.domain.commands import ConsentInput, ContactPointInput, CreatePartyCommand
from peyvand_customer.domain.party import Party
from peyvand_runtime.domain import InvalidTransition, ValidationError

NOW = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC)
KW: dict[str, Any] = {"by": "usr_clerk", "channel": "web", "now": NOW}


def fields_of(error: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {v.field for v in error.value.violations}


def test_create_person_records_a_full_snapshot(national_id: Callable[[str], str]) -> None:
    nid = national_id("001354241")
    cmd = CreatePartyCommand(
        customer_number="C-1001",
        first_name=" علي ",
        last_name="رضائي",
        father_name="حسن",
        national_id=nid,
        birth_date=dt.date(1985, 3, 21),
        gender="male",
        roles=("policyholder", "insured"),
        agent_id="agt_1",
        branch_code="B021",
        tags=("vip",),
        contact_points=(
            ContactPointInput("mobile", "0912 123 4567"),
            ContactPointInput("email", "Ali@Example.com"),
            ContactPointInput("address", "خیابان آزادی، پلاک ۱۲", province="تهران", city="تهران", postal_code="1346789134"),
        ),
        consents=(ConsentInput("sms", "marketing", True, source="web_form"),),
    )
    party = Party.create(cmd, **KW)
    assert party.id.startswith("cus_")
    assert party.first_name == "علی" and party.last_name == "رضائی"
    [event] = party.pull_events()
    assert event.type == "customer.created"
    p = event.payload
    assert p["customer_id"] == party.id and p["customer_number"] == "C-1001"
    assert p["display_name"] == "علی رضائی"
    assert p["birth_date"] == "1985-03-21" and p["gender"] == "male"
    assert p["roles"] == ["insured", "policyholder"]
    assert p["mobile"] == "+989121234567" and p["email"] == "ali@example.com"
    assert p["city"] == "تهران" and p["province"] == "تهران"
    assert p["consents"] == [
        {"channel": "sms", "purpose": "marketing", "granted": True, "source": "web_form", "at": "2025-06-01T08:30:00Z"}
    ]
    assert p["tags"] == ["vip"] and p["agent_id"] == "agt_1" and p["branch_code"] == "B021"
    assert p["version"] == 1
    assert nid not in str(p)  # official ids stay out of events
    [audit] = party.pull_audit()
    assert audit.action == "create" and audit.by == "usr_clerk" and "national_id" in audit.fields
    assert nid not in str(audit.to_dict())


def test_create_collects_every_violation_with_field_names(national_id: Callable[[str], str]) -> None:
    bad_nid = national_id("001354241")[:-1] + "9" if national_id("001354241")[-1] != "9" else national_id("001354241")[:-1] + "8"
    cmd = CreatePartyCommand(
        customer_number="",
        first_name="",
        last_name="۱۲۳",
        national_id=bad_nid,
        birth_date=dt.date(2030, 1, 1),
        gender="other",
        org_name="شرکت",
        roles=("vip",),
        preferred_channel="fax",
        contact_points=(
            ContactPointInput("mobile", "09121234567"),
            ContactPointInput("mobile", "12345"),
            ContactPointInput("email", "not-an-email"),
            ContactPointInput("address", "خیابان آزادی", postal_code="0000"),
            ContactPointInput("pigeon", "x"),
            ContactPointInput("mobile", "+98 912 123 4567"),
        ),
        consents=(ConsentInput("fax", "marketing", True),),
    )
    with pytest.raises(ValidationError) as error:
        Party.create(cmd, **KW)
    assert fields_of(error) == {
        "customer_number",
        "first_name",
        "last_name",
        "national_id",
        "birth_date",
        "gender",
        "org_name",
        "roles[0]",
        "preferred_channel",
        "contact_points[1].value",
        "contact_points[2].value",
        "contact_points[3].postal_code",
        "contact_points[4].kind",
        "contact_points[5].value",
        "consents[0].channel",
    }
    assert bad_nid not in str(error.value) and "12345" not in str(error.value)


def test_create_organisation_and_its_rules() -> None:
    org = Party.create(
        CreatePartyCommand(
            customer_number="O-1", kind="organisation", org_name="شرکت پارس", legal_id="10380284790", economic_code="10380284790"
        ),
        **KW,
    )
    assert org.display_name == "شرکت پارس" and org.legal_id == "10380284790"
    with pytest.raises(ValidationError) as error:
        Party.create(CreatePartyCommand(customer_number="O-2", kind="organisation", first_name="علی", legal_id="10380284791"), **KW)
    assert fields_of(error) == {"first_name", "legal_id", "org_name"}


def test_one_primary_per_kind() -> None:
    party = Party.create(
        CreatePartyCommand(
            customer_number="C-2",
            first_name="مریم",
            last_name="نوری",
            contact_points=(ContactPointInput("mobile", "09121111111"), ContactPointInput("mobile", "09122222222", primary=True)),
        ),
        **KW,
    )
    assert [(p.value, p.primary) for p in party.contact_points] == [("+989121111111", False), ("+989122222222", True)]
    with pytest.raises(ValidationError) as error:
        Party.create(
            CreatePartyCommand(
                customer_number="C-3",
                first_name="مریم",
                last_name="نوری",
                contact_points=(
                    ContactPointInput("mobile", "09121111111", primary=True),
                    ContactPointInput("mobile", "09122222222", primary=True),
                ),
            ),
            **KW,
        )
    assert fields_of(error) == {"contact_points[1].primary"}


def test_unflagged_contacts_get_a_primary_each() -> None:
    party = Party.create(
        CreatePartyCommand(
            customer_number="C-4",
            first_name="مریم",
            last_name="نوری",
            contact_points=(
                ContactPointInput("email", "a@example.com"),
                ContactPointInput("mobile", "09121111111"),
                ContactPointInput("email", "b@example.com"),
            ),
        ),
        **KW,
    )
    assert party.to_snapshot()["email"] == "a@example.com"
    assert party.to_snapshot()["mobile"] == "+989121111111"


def test_roles_default_to_prospect(make_person: Callable[..., Party]) -> None:
    assert make_person().roles == {"prospect"}


def test_update_records_changed_fields_and_audit(make_person: Callable[..., Party]) -> None:
    party = make_person()
    changed = party.update({"first_name": "علیرضا", "last_name": "رضایی", "language": "en"}, **KW)
    assert changed == ["first_name", "language"]
    [event] = party.pull_events()
    assert event.type == "customer.updated" and event.payload["changed_fields"] == ["first_name", "language"]
    assert event.payload["first_name"] == "علیرضا"
    [audit] = party.pull_audit()
    assert audit.fields == ("first_name", "language") and audit.channel == "web" and audit.at == NOW


def test_update_without_real_change_records_nothing(make_person: Callable[..., Party]) -> None:
    party = make_person()
    assert party.update({"first_name": "علي"}, **KW) == []  # same name, Arabic yeh
    assert party.pull_events() == [] and party.pull_audit() == []


def test_update_refuses_unknown_foreign_and_bad_fields(make_person: Callable[..., Party]) -> None:
    party = make_person()
    with pytest.raises(ValidationError) as error:
        party.update(
            {"customer_number": "X", "legal_id": "10380284790", "birth_date": dt.date(2099, 1, 1), "last_name": "", "national_id": "123"},
            **KW,
        )
    assert fields_of(error) == {"customer_number", "legal_id", "birth_date", "last_name", "national_id"}
    assert party.last_name == "رضایی" and party.pull_events() == []


def test_consent_history_and_event(make_person: Callable[..., Party]) -> None:
    party = make_person()
    assert party.consent_for("sms", "marketing") is None
    assert party.set_consent("sms", "marketing", True, source="web_form", now=NOW, by="usr_1")
    later = NOW + dt.timedelta(days=3)
    assert party.set_consent("sms", "marketing", False, source="sms_reply_lghv", now=later, by="usr_1")
    assert party.consent_for("sms", "marketing") is False
    assert [c.granted for c in party.consent_history] == [True, False]
    events = party.pull_events()
    assert [e.type for e in events] == ["customer.consent_changed"] * 2
    last = events[-1].payload
    assert (last["channel"], last["purpose"], last["granted"], last["source"], last["at"]) == (
        "sms",
        "marketing",
        False,
        "sms_reply_lghv",
        "2025-06-04T08:30:00Z",
    )
    assert last["consents"] == [
        {"channel": "sms", "purpose": "marketing", "granted": False, "source": "sms_reply_lghv", "at": "2025-06-04T08:30:00Z"}
    ]
    assert [a.action for a in party.pull_audit()] == ["consent", "consent"]


def test_consent_replays_and_late_decisions(make_person: Callable[..., Party]) -> None:
    party = make_person()
    party.set_consent("email", "marketing", False, source="call", now=NOW, by="u")
    assert not party.set_consent("email", "marketing", False, source="call", now=NOW, by="u")  # same delivery twice
    earlier = NOW - dt.timedelta(days=30)
    assert not party.set_consent("email", "marketing", True, source="import", now=NOW, by="u", at=earlier)
    assert party.consent_for("email", "marketing") is False
    assert len(party.consent_history) == 2
    assert len(party.pull_events()) == 1


def test_consent_refuses_bad_channel_and_future_time(make_person: Callable[..., Party]) -> None:
    party = make_person()
    with pytest.raises(ValidationError) as error:
        party.set_consent("fax", "gossip", True, source="x", now=NOW, by="u", at=NOW + dt.timedelta(hours=1))
    assert fields_of(error) == {"consent.channel", "consent.purpose", "consent.at"}


def test_assign(make_person: Callable[..., Party]) -> None:
    party = make_person(agent_id="agt_1", branch_code="B1")
    assert party.assign("agt_2", "B2", **KW)
    assert not party.assign("agt_2", "B2", **KW)
    [event] = party.pull_events()
    assert event.type == "customer.assigned"
    assert event.payload == {
        "customer_id": party.id,
        "agent_id": "agt_2",
        "branch_code": "B2",
        "previous_agent_id": "agt_1",
        "previous_branch_code": "B1",
        "at": "2025-06-01T08:30:00Z",
    }


def test_contact_points_add_primary_verify_remove(make_person: Callable[..., Party]) -> None:
    party = make_person()
    party.add_contact_point(ContactPointInput("mobile", "09351234567", primary=True), **KW)
    assert party.to_snapshot()["mobile"] == "+989351234567"
    assert party.add_contact_point(ContactPointInput("mobile", "+98 935 123 4567"), **KW).primary  # known: no duplicate
    assert len([p for p in party.contact_points if p.kind == "mobile"]) == 2
    party.mark_contact_point_verified("mobile", "09121234567", **KW)
    assert party.set_primary_contact_point("mobile", "۰۹۱۲۱۲۳۴۵۶۷", **KW).verified
    assert party.remove_contact_point("mobile", "09121234567", **KW)
    assert party.to_snapshot()["mobile"] == "+989351234567"
    assert not party.remove_contact_point("mobile", "09121234567", **KW)
    with pytest.raises(ValidationError):
        party.set_primary_contact_point("mobile", "09120000000", **KW)
    assert all(e.payload["changed_fields"] == ["contact_points"] for e in party.pull_events())


def test_address_contact_found_by_postal_code(make_person: Callable[..., Party]) -> None:
    party = make_person()
    party.add_contact_point(ContactPointInput("address", "خیابان حافظ", city="شیراز", province="فارس", postal_code="7134967891"), **KW)
    assert party.to_snapshot()["city"] == "شیراز"
    assert party.remove_contact_point("address", "7134967891", **KW)
    assert party.primary("address") is None


def test_roles_and_tags(make_person: Callable[..., Party]) -> None:
    party = make_person()
    assert party.add_roles(["policyholder", "payer"], **KW)
    assert not party.add_roles(["payer"], **KW)
    assert party.remove_roles(["prospect"], **KW)
    assert party.roles == {"policyholder", "payer"}
    assert party.add_tags(["vip", " كارمند  دولت "], **KW)
    assert party.tags == ["vip", "کارمند دولت"]
    assert party.remove_tags(["vip"], **KW) and party.tags == ["کارمند دولت"]
    with pytest.raises(ValidationError) as error:
        party.add_roles(["boss"], **KW)
    assert fields_of(error) == {"roles[0]"}
    assert [e.payload["changed_fields"] for e in party.pull_events()] == [["roles"], ["roles"], ["tags"], ["tags"]]


def test_merged_party_refuses_commands(make_person: Callable[..., Party]) -> None:
    party = make_person()
    party.status, party.merged_into = "merged", "cus_01HZZZZZZZZZZZZZZZZZZZZZZZ"
    with pytest.raises(InvalidTransition):
        party.update({"first_name": "حسن"}, **KW)


def test_private_snapshot_carries_ids_and_all_contacts(make_person: Callable[..., Party], national_id: Callable[[str], str]) -> None:
    party = make_person(national_id=national_id("123456789"))
    snap = party.to_snapshot(private=True)
    assert snap["national_id"] == national_id("123456789")
    assert snap["contact_points"][0]["value"] == "+989121234567"
    assert "national_id" not in party.to_snapshot()


def test_caller_chosen_id_must_be_a_customer_id() -> None:
    cmd = CreatePartyCommand(customer_number="C-9", first_name="علی", last_name="نوری")
    assert Party.create(cmd, party_id="cus_01J0000000000000000000000A", **KW).id == "cus_01J0000000000000000000000A"
    with pytest.raises(ValidationError) as error:
        Party.create(cmd, party_id="pol_01J0000000000000000000000A", **KW)
    assert fields_of(error) == {"customer_id"}
