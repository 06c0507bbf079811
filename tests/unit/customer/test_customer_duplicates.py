"""Duplicate detection: exact keys on create, a blocked fuzzy scan that finds planted near-duplicates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from peyvand_customer.demo.generator import generate_parties
from peyvand_customer.domain.commands import ContactPointInput
from peyvand_customer.domain.csv_rows import parse_row
from peyvand_customer.domain.duplicates import (
    DuplicateProfile,
    ScanStats,
    blocking_keys,
    duplicate_warnings,
    ensure_no_hard_duplicate,
    exact_keys,
    explain_pair,
    scan,
    score_pair,
)
from peyvand_customer.domain.party import Party
from peyvand_runtime.domain import DomainError

NOW = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC)
BORN = dt.date(1985, 3, 21)


def profile(pid: str, first: str = "محمدرضا", last: str = "کاظمی", **kw: Any) -> DuplicateProfile:
    base: dict[str, Any] = {"birth_date": BORN, "father_name": "حسن", "mobiles": ("+989121234567",), "city": "تهران"}
    base.update(kw)
    return DuplicateProfile(id=pid, first_name=first, last_name=last, **base)


def test_exact_keys(make_person: Callable[..., Party], national_id: Callable[[str], str]) -> None:
    party = make_person(first_name="محمد\u200cرضا", last_name="كاظمي", national_id=national_id("001354241"))
    assert exact_keys(party) == {
        "national_id": national_id("001354241"),
        "mobile": "+989121234567",
        "name_birth": "محمدرضاکاظمی|1985-03-21",
    }


@pytest.mark.parametrize(
    "variant", [("محمد رضا", "کاظمی"), ("محمد\u200cرضا", "کاظمی"), ("محمدرضا", "كاظمي"), ("محمدرضا", "کاظمی\u200f"), ("مُحمدرضا", "کاظـمی")]
)
def test_spelling_variants_score_as_the_same_person(variant: tuple[str, str]) -> None:
    assert score_pair(profile("cus_a"), profile("cus_b", *variant)) == 100


def test_evidence_adds_up() -> None:
    base = profile("cus_a")
    name_birth_father = profile("cus_b", mobiles=(), city="")
    assert 85 <= score_pair(base, name_birth_father) < 100
    assert score_pair(base, profile("cus_b", father_name="", mobiles=(), city="")) < 85  # name + birth only: review
    score, reasons = explain_pair(base, profile("cus_b", birth_date=None, father_name=""))
    assert score < 85 and set(reasons) == {"name", "mobile", "city"}


def test_unrelated_people_do_not_pair() -> None:
    base = profile("cus_a")
    assert (
        score_pair(base, profile("cus_b", "فاطمه", "حسینی", birth_date=dt.date(1970, 1, 1), father_name="علی", mobiles=("+989351111111",)))
        < 40
    )
    # Same common name, different birth date: namesakes, not duplicates.
    assert score_pair(base, profile("cus_b", birth_date=dt.date(1990, 5, 5), father_name="علی", mobiles=("+989351111111",))) < 60
    # Father and son sharing a name and a family mobile.
    assert score_pair(base, profile("cus_b", birth_date=dt.date(2010, 5, 5), father_name="محمدرضا")) < 85


def test_official_ids_decide(national_id: Callable[[str], str]) -> None:
    a = profile("cus_a", national_id=national_id("001354241"))
    assert score_pair(a, profile("cus_b", "زهرا", "نوری", national_id=national_id("001354241"))) == 100
    assert score_pair(a, profile("cus_b", national_id=national_id("123456789"))) <= 40  # twins with the same everything else


def test_person_and_organisation_never_pair(make_person: Callable[..., Party], make_org: Callable[..., Party]) -> None:
    assert score_pair(make_person(), make_org(contact_points=(ContactPointInput("mobile", "09121234567"),))) == 0


def test_hard_duplicate_is_refused_with_the_existing_id(make_person: Callable[..., Party], national_id: Callable[[str], str]) -> None:
    existing = make_person(national_id=national_id("001354241"))
    candidate = make_person(first_name="زهرا", national_id=national_id("001354241"))
    with pytest.raises(DomainError) as error:
        ensure_no_hard_duplicate(candidate, [existing])
    assert error.value.code == "CUSTOMER_DUPLICATE" and error.value.metadata == {"existing_customer_id": existing.id}
    assert national_id("001354241") not in error.value.message
    ensure_no_hard_duplicate(candidate, [candidate])  # itself is not a duplicate


def test_duplicate_warnings_report_exact_matches_and_fuzzy_ones(make_person: Callable[..., Party]) -> None:
    candidate = make_person()
    family = make_person(first_name="زهرا", birth_date=dt.date(1960, 1, 1), father_name="محمد")
    twin_record = make_person(first_name="علي", contact_points=())
    stranger = make_person(first_name="نیما", last_name="نوری", birth_date=dt.date(1970, 1, 1), contact_points=())
    warnings = duplicate_warnings(candidate, [family, twin_record, stranger, candidate])
    assert [w.customer_id for w in warnings] == [twin_record.id, family.id]
    assert warnings[0].matched_keys == ("name_birth",) and warnings[0].score >= 85
    assert warnings[1].matched_keys == ("mobile",) and warnings[1].score < 70


def test_blocking_keys_share_a_block_for_variants() -> None:
    assert set(blocking_keys(profile("cus_a"))) & set(blocking_keys(profile("cus_b", "محمد رضا", "كاظمي", mobiles=())))


def test_scan_finds_planted_near_duplicates_and_nothing_else() -> None:
    rows = list(generate_parties(3000, 11, ["agt_1"], ["B1"], duplicate_rate=0.05, with_truth=True))
    parties, by_number = [], {}
    for line, row in enumerate(rows, start=2):
        cmd = parse_row(row, line, now=NOW)
        assert not isinstance(cmd, list), cmd
        party = Party.create(cmd, now=NOW, by="usr_import", channel="import")
        parties.append(party)
        by_number[party.customer_number] = party.id
    planted = {frozenset((by_number[r["customer_number"]], by_number[r["_duplicate_of"]])) for r in rows if r.get("_duplicate_of")}
    assert len(planted) > 50
    stats = ScanStats()
    found = list(scan(parties, stats=stats))
    pairs = {frozenset((a, b)) for a, b, _, _ in found}
    assert pairs == planted
    assert len(found) == len(pairs)  # each pair once
    assert all(a < b and score >= 85 and "name" in reasons for a, b, score, reasons in found)
    assert stats.profiles == 3000 and stats.pairs_scored < 3000 * 20  # blocked, not all pairs


def test_scan_skips_oversized_blocks() -> None:
    crowd = [
        profile(f"cus_{i:03d}", mobiles=("+989120000000",), birth_date=dt.date(1950 + i % 50, 1 + i % 12, 1), father_name="")
        for i in range(30)
    ]
    stats = ScanStats()
    assert list(scan(crowd, max_block=10, stats=stats)) == []
    assert "m:+989120000000" in stats.oversized_keys


def test_organisations_block_on_their_distinctive_name() -> None:
    a = DuplicateProfile(id="cus_a", kind="organisation", org_name="شرکت پارس بازرگانی", city="تهران")
    b = DuplicateProfile(id="cus_b", kind="organisation", org_name="شركت  پارس بازرگاني", city="تهران")
    c = DuplicateProfile(id="cus_c", kind="organisation", org_name="شرکت البرز تولیدی", city="تهران")
    assert "o:پارسبازرگانی" in blocking_keys(a)
    assert [(x, y) for x, y, _, _ in scan([a, b, c], threshold=60)] == [("cus_a", "cus_b")]
