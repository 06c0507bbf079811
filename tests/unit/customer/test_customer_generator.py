"""The demo generator: deterministic, valid, importable rows with planted near-duplicates."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from peyvand_customer.demo import names
from peyvand_customer.demo.generator import generate_parties, national_id
from peyvand_customer.domain.csv_rows import EXPORT_COLUMNS, parse_date, parse_row
from peyvand_customer.domain.identifiers import (
    normalize_email,
    normalize_landline,
    normalize_mobile,
    validate_legal_id,
    validate_national_id,
    validate_postal_code,
)

NOW = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC)
AGENTS, BRANCHES = ["agt_1", "agt_2", "agt_3"], ["B021", "B031"]


def test_word_lists_are_big_enough() -> None:
    assert len(names.MALE_FIRST_NAMES) >= 80 and len(names.FEMALE_FIRST_NAMES) >= 80
    assert len(names.LAST_NAMES) >= 150 and len(names.CITIES) >= 40


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    first = list(generate_parties(500, 3, AGENTS, BRANCHES))
    assert first == list(generate_parties(500, 3, AGENTS, BRANCHES))
    assert first != list(generate_parties(500, 4, AGENTS, BRANCHES))
    assert list(generate_parties(100, 3, AGENTS, BRANCHES)) == first[:100]


def test_every_row_is_valid_and_importable() -> None:
    rows = list(generate_parties(3000, 5, AGENTS, BRANCHES))
    assert all(tuple(row) == EXPORT_COLUMNS for row in rows)
    assert len({row["customer_number"] for row in rows}) == 3000
    for column in ("national_id", "legal_id"):
        issued = [row[column] for row in rows if row[column]]
        assert len(issued) == len(set(issued))  # the importer refuses a second customer with the same id
    for line, row in enumerate(rows, start=2):
        if row["national_id"]:
            validate_national_id(row["national_id"])
        normalize_mobile(row["mobile"])
        if row["legal_id"]:
            validate_legal_id(row["legal_id"])
        if row["landline"]:
            normalize_landline(row["landline"])
        if row["email"]:
            normalize_email(row["email"])
        if row["postal_code"]:
            validate_postal_code(row["postal_code"])
        assert (
            dt.date(1940, 1, 1) <= parse_date(row["birth_date"]) <= dt.date(2006, 12, 31)
            if row["birth_date"]
            else row["kind"] == "organisation"
        )
        assert BRANCHES[AGENTS.index(row["agent_id"]) % 2] == row["branch_code"]
        assert not isinstance(parse_row(row, line, now=NOW), list)


def test_realistic_mix() -> None:
    rows = list(generate_parties(5000, 9, AGENTS, BRANCHES, with_truth=True))
    kinds = [row["kind"] for row in rows]
    assert 0.03 < kinds.count("organisation") / 5000 < 0.07
    duplicates = [row for row in rows if row.get("_duplicate_of")]
    assert 0.01 < len(duplicates) / 5000 < 0.03
    assert all(row["national_id"] == "" for row in duplicates)
    assert {row["gender"] for row in rows} >= {"male", "female"}
    assert len({row["city"] for row in rows}) > 30
    assert {row["mobile"][:4] for row in rows if row["mobile"].startswith("09")} >= {"0912", "0935", "0990", "0901", "0921"}
    assert any("/" in row["birth_date"] for row in rows) and any("-" in row["birth_date"] for row in rows)
    assert all(row["email"].endswith((".com", ".org", ".net")) for row in rows if row["email"])


@settings(max_examples=50)
@given(st.integers(min_value=0, max_value=2**32))
def test_any_generated_national_id_validates(seed: int) -> None:
    import random

    rng = random.Random(seed)
    for _ in range(20):
        value = national_id(rng)
        assert validate_national_id(value) == value


def test_generator_is_lazy() -> None:
    assert len(list(itertools.islice(generate_parties(10**9, 1), 5))) == 5
