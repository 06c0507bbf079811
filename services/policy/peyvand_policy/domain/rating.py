"""Rating: the deterministic premium of a product for given inputs and term, in integer rials."""

# Rounding rule (the only one in rating): base × factors is computed exactly with
# fractions.Fraction; the net premium is rounded UP to the next multiple of 1,000 rials and
# then raised to the product's minimum premium. VAT is net × vat_permille / 1000, which is
# exact because the net is a multiple of 1,000 rials; the total is net + VAT.

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from peyvand_runtime.domain import Violations
from peyvand_runtime.tehran_time import to_jalali

from .product_model import TERM_DAYS, CoverageLine, InputValue, Product
from .terms import end_of_term, term_days

PREMIUM_ROUNDING_RIALS = 1_000


@dataclass(frozen=True)
class AppliedFactor:
    """One factor as applied, for the quote sheet: which input, its value and ×per-mille."""

    input: str
    value: InputValue
    per_mille: int

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "value": self.value, "per_mille": self.per_mille}


@dataclass(frozen=True)
class Premium:
    """A priced term: net premium, VAT line and total (integer rials), with what produced them."""

    product_code: str
    term_start: dt.date
    term_end: dt.date
    inputs: Mapping[str, InputValue]
    base: int  # base before factors, rounded up to the rial (display only)
    factors: tuple[AppliedFactor, ...]
    net: int
    vat_permille: int
    vat: int
    total: int
    coverages: tuple[CoverageLine, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "product_code": self.product_code,
            "term_start": self.term_start.isoformat(),
            "term_end": self.term_end.isoformat(),
            "inputs": dict(self.inputs),
            "base": self.base,
            "factors": [f.to_dict() for f in self.factors],
            "net": self.net,
            "vat_permille": self.vat_permille,
            "vat": self.vat,
            "total": self.total,
            "coverages": [c.to_dict() for c in self.coverages],
        }


def term_end_for(product: Product, term_start: dt.date, days: int | None = None) -> dt.date:
    """The end date a quote should use: the product's term in Jalali months, or ``days`` for travel."""
    if product.term.unit == "months":
        return end_of_term(term_start, product.term.months[0])
    if days is None:
        raise ValueError("a day-based product needs the number of days")
    return term_start + dt.timedelta(days=days - 1)


def check_term(product: Product, term_start: dt.date, term_end: dt.date, violations: Violations) -> None:
    """Adds a ``term_end`` violation when the term is backwards or not a length the product sells."""
    if term_end < term_start:
        violations.add("term_end", "must not be before term_start")
        return
    if product.term.unit == "months":
        allowed = [end_of_term(term_start, months) for months in product.term.months]
        if term_end not in allowed:
            months = product.term.months[0]
            violations.add("term_end", f"a {months}-month term starting {to_jalali(term_start)} ends on {to_jalali(allowed[0])}")
        return
    days = term_days(term_start, term_end)
    if not product.term.min_days <= days <= product.term.max_days:
        violations.add("term_end", f"the term must be {product.term.min_days} to {product.term.max_days} days, not {days}")


def price(product: Product, inputs: Mapping[str, Any], term_start: dt.date, term_end: dt.date) -> Premium:
    """Price a term; every bad field is reported at once (``term_end``, ``inputs.<name>``)."""
    violations = Violations()
    check_term(product, term_start, term_end, violations)
    values = product.check_inputs(inputs, violations)
    violations.raise_if_any()

    base, exact, applied = _rate(product, values, term_start, term_end)
    net = max(math.ceil(exact / PREMIUM_ROUNDING_RIALS) * PREMIUM_ROUNDING_RIALS, product.minimum_premium)
    vat = net * product.vat_permille // 1000  # exact: net is a multiple of 1,000 rials
    return Premium(
        product_code=product.code,
        term_start=term_start,
        term_end=term_end,
        inputs=dict(values),
        base=math.ceil(base),
        factors=applied,
        net=net,
        vat_permille=product.vat_permille,
        vat=vat,
        total=net + vat,
        coverages=product.coverage_lines(values),
    )


def exact_premium(product: Product, values: Mapping[str, InputValue], term_start: dt.date, term_end: dt.date) -> Fraction:
    """The unrounded premium for already-checked inputs (used by tests and to explain a price)."""
    return _rate(product, values, term_start, term_end)[1]


def _rate(
    product: Product, values: Mapping[str, InputValue], term_start: dt.date, term_end: dt.date
) -> tuple[Fraction, Fraction, tuple[AppliedFactor, ...]]:
    """Base, exact premium (base × every factor) and the factors as applied."""
    rating_values: dict[str, InputValue] = {**values, TERM_DAYS: term_days(term_start, term_end)}
    base = product.base.base(rating_values)
    exact = base
    applied: list[AppliedFactor] = []
    for factor in product.factors:
        multiplier = factor.factor(rating_values)
        exact *= multiplier
        applied.append(AppliedFactor(factor.input, rating_values[factor.input], int(multiplier * 1000)))
    return base, exact, tuple(applied)
