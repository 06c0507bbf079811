"""Policy numbers: branch, Jalali year of issue and a six-digit sequence; Persian digits parse."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from peyvand_policy.domain.numbering import PolicyNumber, format_policy_number, is_policy_number, parse_policy_number, sequence_key
from peyvand_runtime.domain import ValidationError
from peyvand_runtime.tehran_time import to_persian_digits


def test_format_uses_the_jalali_year_of_the_issue_date() -> None:
    assert format_policy_number("1021", dt.date(2026, 3, 21), 123) == "1021-1405-000123"  # 1405/01/01
    assert format_policy_number("1021", dt.date(2026, 3, 20), 1) == "1021-1404-000001"  # 1404/12/29
    assert format_policy_number("thr۰۱", dt.date(2026, 3, 21), 999_999) == "THR01-1405-999999"


def test_sequence_counter_is_per_branch_and_jalali_year() -> None:
    assert sequence_key("1021", dt.date(2026, 3, 21)) == "1021-1405"
    assert sequence_key("1021", dt.date(2026, 3, 20)) == "1021-1404"


@pytest.mark.parametrize("branch, sequence, field", [
    ("1", 1, "branch_code"), ("10-21", 1, "branch_code"), ("1021", 0, "sequence"), ("1021", 1_000_000, "sequence"),
])
def test_format_refuses_bad_parts(branch: str, sequence: int, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        format_policy_number(branch, dt.date(2026, 3, 21), sequence)
    assert raised.value.violations[0].field == field


@pytest.mark.parametrize("text", ["1021-1405-000123", "۱۰۲۱-۱۴۰۵-۰۰۰۱۲۳", "  1021 – 1405 – 000123 ", "١٠٢١-١٤٠٥-٠٠٠١٢٣"])
def test_parse_accepts_persian_and_arabic_digits(text: str) -> None:
    number = parse_policy_number(text)
    assert number == PolicyNumber("1021", 1405, 123)
    assert str(number) == "1021-1405-000123"


@pytest.mark.parametrize("text", ["", "1021-1405-123", "1021-2026-000123", "1021/1405/000123", "1021-1405-000000",
                                  "1021-1405-0001234", "سلام"])
def test_parse_refuses_malformed_numbers(text: str) -> None:
    assert not is_policy_number(text)
    with pytest.raises(ValidationError) as raised:
        parse_policy_number(text, field_name="policy_number")
    assert raised.value.violations[0].field == "policy_number"


@given(branch=st.from_regex(r"[A-Z0-9]{2,10}", fullmatch=True), sequence=st.integers(1, 999_999),
       day=st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)))
def test_format_then_parse_round_trips(branch: str, sequence: int, day: dt.date) -> None:
    text = format_policy_number(branch, day, sequence)
    assert str(parse_policy_number(text)) == text
    assert parse_policy_number(to_persian_digits(text)).sequence == sequence
