"""Term arithmetic on Tehran calendar dates: Jalali month terms, inclusive day counts, pro-rata shares."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from functools import lru_cache

import jdatetime

ONE_DAY = dt.timedelta(days=1)


def _jalali_month_length(year: int, month: int) -> int:
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if jdatetime.date(year, 1, 1).isleap() else 29


@lru_cache(maxsize=4096)  # pure, and the same start dates recur (today): jdatetime is slow per call
def end_of_term(term_start: dt.date, months: int) -> dt.date:
    """Last covered day of a term of ``months`` Jalali months starting on ``term_start``.

    Iranian policies run in Jalali months: a 12-month term from 1405/01/01 ends on
    1405/12/29 (the day before 1406/01/01). When the same Jalali day does not exist
    ``months`` later (Esfand 30 in a non-leap year) the term ends on the last day of that
    month, so the next term starts on the 1st of the following month.
    """
    if months <= 0:
        raise ValueError("a term is at least one month")
    start = jdatetime.date.fromgregorian(date=term_start)
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    length = _jalali_month_length(year, month)
    if start.day > length:
        last: dt.date = jdatetime.date(year, month, length).togregorian()
        return last
    same_day: dt.date = jdatetime.date(year, month, start.day).togregorian()
    return same_day - ONE_DAY


def term_days(term_start: dt.date, term_end: dt.date) -> int:
    """Covered days, both ends included (a term from D to D is one day)."""
    return (term_end - term_start).days + 1


def remaining_days(effective_date: dt.date, term_end: dt.date) -> int:
    """Days from ``effective_date`` (the first day of the change) to the end of term, inclusive."""
    return max(0, (term_end - effective_date).days + 1)


def pro_rata(amount: int, part_days: int, whole_days: int) -> Fraction:
    """Exact share ``amount × part_days / whole_days``; the caller decides which way to round."""
    if whole_days <= 0:
        raise ValueError("a term has at least one day")
    return Fraction(amount * part_days, whole_days)


def round_up(value: Fraction) -> int:
    """Round towards +∞ to the whole rial (an extra charge up, a return towards zero)."""
    return math.ceil(value)


def round_down(value: Fraction) -> int:
    """Round towards −∞ to the whole rial."""
    return math.floor(value)
