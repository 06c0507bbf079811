"""Iranian identifiers and contact values: valid ones in one canonical form, others refused without echo."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from peyvand_customer.domain.identifiers import (
    normalize_email,
    normalize_landline,
    normalize_mobile,
    validate_economic_code,
    validate_legal_id,
    validate_national_id,
    validate_postal_code,
)


@pytest.mark.parametrize("text", ["0499370899", "0790419904", "۰۴۹۹۳۷۰۸۹۹", "049-937089-9", " 0499 370 899 ", "\u200e0499370899"])
def test_valid_national_ids(text: str) -> None:
    assert validate_national_id(text) in {"0499370899", "0790419904"}


@pytest.mark.parametrize("text", ["0499370898", "049937089", "04993708999", "abcdefghij", "", None, "0499x70899"])
def test_invalid_national_ids_are_refused(text: str | None) -> None:
    with pytest.raises(ValueError):
        validate_national_id(text)


@pytest.mark.parametrize("digit", "0123456789")
def test_national_id_of_one_repeated_digit_is_refused(digit: str) -> None:
    # "1111111111" even passes the checksum; registries never issue it.
    with pytest.raises(ValueError):
        validate_national_id(digit * 10)


def test_national_id_error_never_echoes_the_input() -> None:
    with pytest.raises(ValueError) as info:
        validate_national_id("0499370898")
    assert "0499370898" not in str(info.value)


def test_spreadsheet_dropped_zeros_are_restored_only_when_asked() -> None:
    with pytest.raises(ValueError):
        validate_national_id("499370899")
    assert validate_national_id("499370899", pad_leading_zeros=True) == "0499370899"


@given(st.integers(min_value=0, max_value=10**9 - 1))
def test_any_computed_national_id_validates(number: int) -> None:
    head = f"{number:09d}"
    total = sum(int(d) * (10 - i) for i, d in enumerate(head))
    r = total % 11
    candidate = head + str(r if r < 2 else 11 - r)
    if len(set(candidate)) > 1:
        assert validate_national_id(candidate) == candidate


def test_fixture_national_ids_validate(national_id: Callable[[str], str]) -> None:
    for head in ("001354241", "123456789", "987654321", "440001234"):
        assert validate_national_id(national_id(head)) == national_id(head)


def test_legal_id() -> None:
    assert validate_legal_id("10380284790") == "10380284790"
    assert validate_legal_id("۱۰۳۸۰۲۸۴۷۹۰") == "10380284790"
    for bad in ("10380284791", "1038028479", "103802847900", "11111111111", "10300000000"):
        with pytest.raises(ValueError):
            validate_legal_id(bad)


def test_economic_code_accepts_twelve_digits_or_a_legal_id() -> None:
    assert validate_economic_code("411111111119") == "411111111119"
    assert validate_economic_code("10380284790") == "10380284790"
    for bad in ("10380284791", "4111", "999999999999", "41111111111a"):
        with pytest.raises(ValueError):
            validate_economic_code(bad)


@pytest.mark.parametrize(
    "text",
    [
        "09121234567",
        "9121234567",
        "+989121234567",
        "989121234567",
        "00989121234567",
        "0912 123 4567",
        "0912-123-4567",
        "(0912) 123-4567",
        "+98 (912) 123 45 67",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "\u200e+98 912 123 4567\u200f",
    ],
)
def test_every_way_of_typing_a_mobile_gives_one_canonical_form(text: str) -> None:
    assert normalize_mobile(text) == "+989121234567"


@pytest.mark.parametrize("prefix", ["0910", "0919", "0990", "0930", "0935", "0939", "0901", "0921", "0998"])
def test_operator_prefixes_are_mobiles(prefix: str) -> None:
    assert normalize_mobile(prefix + "1234567") == "+98" + prefix[1:] + "1234567"


@pytest.mark.parametrize(
    "text",
    ["", None, "0912123456", "091212345678", "02188888888", "08121234567", "+449121234567", "0912abc4567", "12345", "+98"],
)
def test_bad_mobiles_are_refused_without_echo(text: str | None) -> None:
    with pytest.raises(ValueError) as info:
        normalize_mobile(text)
    assert not text or text not in str(info.value)


def test_landlines_need_an_area_code() -> None:
    assert normalize_landline("021-88888888") == "+982188888888"
    assert normalize_landline("(031) 3222 1234") == "+983132221234"
    assert normalize_landline("+98 51 3800 1234") == "+985138001234"
    assert normalize_landline("۰۲۱۸۸۸۸۸۸۸۸") == "+982188888888"
    for bad in ("88888888", "09121234567", "0210888888", "021888888"):
        with pytest.raises(ValueError):
            normalize_landline(bad)


def test_email() -> None:
    assert normalize_email("  Ali.Rezaei@Example.COM ") == "ali.rezaei@example.com"
    assert normalize_email("a+tag@mail.example.ir") == "a+tag@mail.example.ir"
    for bad in (
        "",
        "ali",
        "ali@",
        "@example.com",
        "ali@example",
        "ali..r@example.com",
        "ali@exa_mple.com",
        "a b@example.com",
        "ali@-x.com",
        "علی@example.com",
        "a@b@c.com",
        "ali@example.c0m",
    ):
        with pytest.raises(ValueError) as info:
            normalize_email(bad)
        assert not bad or bad not in str(info.value)


def test_postal_codes() -> None:
    assert validate_postal_code("1346789134") == "1346789134"
    assert validate_postal_code("۱۳۴۶۷-۸۹۱۳۴") == "1346789134"
    assert validate_postal_code("1346712345") == "1346712345"  # 2 after the fifth digit is accepted
    for bad in ("1346", "13467891345", "0346789134", "1326789134", "1346589134", "1111111111", "abcdefghij"):
        with pytest.raises(ValueError):
            validate_postal_code(bad)
