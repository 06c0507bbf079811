"""Jalali conversions: the fast path gives jdatetime's own answers, digits and bad input included."""

from __future__ import annotations

import datetime as dt

import jdatetime
import pytest
from peyvand_runtime.tehran_time import jalali_year, parse_jalali, to_jalali


def test_to_jalali_matches_jdatetime_every_day_from_1900_to_2100() -> None:
    day, last = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
    while day <= last:
        expected = jdatetime.date.fromgregorian(date=day)
        assert to_jalali(day) == expected.strftime("%Y/%m/%d"), day
        assert jalali_year(day) == expected.year, day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("gregorian", "jalali"),
    [
        (dt.date(2026, 3, 21), "1405/01/01"),  # Nowruz
        (dt.date(2026, 11, 22), "1405/09/01"),
        (dt.date(2025, 3, 20), "1403/12/30"),  # the last day of a leap year (1403)
        (dt.date(1979, 2, 11), "1357/11/22"),
    ],
)
def test_known_dates(gregorian: dt.date, jalali: str) -> None:
    assert to_jalali(gregorian) == jalali
    assert parse_jalali(jalali) == gregorian


def test_parse_accepts_persian_digits_and_dashes_and_refuses_impossible_dates() -> None:
    assert parse_jalali("۱۴۰۵/۰۹/۰۱") == dt.date(2026, 11, 22)
    assert parse_jalali("1405-9-1") == dt.date(2026, 11, 22)
    for bad in ("1405/13/01", "1404/12/30", "1405/09", "yesterday"):  # 1404 is not a leap year
        with pytest.raises(ValueError):
            parse_jalali(bad)
        with pytest.raises(ValueError):  # a refusal is not memoised into an answer
            parse_jalali(bad)
