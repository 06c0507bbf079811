"""Product building blocks: rating inputs, coverages, term rules, base premiums and factor tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal, Protocol

from peyvand_runtime.domain import Violations
from peyvand_runtime.tehran_time import to_ascii_digits

InputKind = Literal["int", "choice", "bool"]
InputValue = int | str | bool
TERM_DAYS = "term_days"  # derived by rating from the term dates, never supplied by the caller


def permille(value: int) -> Fraction:
    """Factors are written as per-mille integers (1150 = ×1.15) so every sum stays exact."""
    return Fraction(value, 1000)


@dataclass(frozen=True)
class RatingInput:
    """One fact the rating needs, with its type and allowed values."""

    name: str
    name_fa: str
    kind: InputKind
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str | int, ...] = ()

    def coerce(self, raw: Any) -> tuple[InputValue | None, str]:
        """The typed value, or ``(None, why)``. Strings of Persian digits count as numbers."""
        if self.kind == "bool":
            if isinstance(raw, bool):
                return raw, ""
            if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
                return raw.strip().lower() == "true", ""
            return None, "must be true or false"
        if self.kind == "int":
            value = _as_int(raw)
            if value is None:
                return None, "must be a whole number"
            if self.minimum is not None and self.minimum > 0 and value <= 0:
                return None, "must be more than zero"
            if self.minimum is not None and value < self.minimum:
                return None, f"must be at least {self.minimum}"
            if self.maximum is not None and value > self.maximum:
                return None, f"must be at most {self.maximum}"
            if self.choices and value not in self.choices:
                return None, "must be one of " + ", ".join(str(c) for c in self.choices)
            return value, ""
        text = raw.strip() if isinstance(raw, str) else None
        if text not in self.choices:
            return None, "must be one of " + ", ".join(str(c) for c in self.choices)
        return text, ""


def _as_int(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        text = to_ascii_digits(raw.strip()).replace(",", "").replace("٬", "")
        body = text[1:] if text.startswith("-") else text
        if body.isascii() and body.isdigit():
            return int(text)
    return None


class Factor(Protocol):
    """A multiplicative rating factor read from one input."""

    @property
    def input(self) -> str: ...

    def factor(self, values: Mapping[str, InputValue]) -> Fraction: ...


@dataclass(frozen=True)
class ChoiceFactor:
    """A factor looked up by an input's value (vehicle usage, plan tier, deductible)."""

    input: str
    table: Mapping[str | int, int]  # value -> per-mille

    def factor(self, values: Mapping[str, InputValue]) -> Fraction:
        return permille(self.table[values[self.input]])


@dataclass(frozen=True)
class BandFactor:
    """A factor from inclusive integer bands (age, engine size, no-claims years, days)."""

    input: str
    bands: tuple[tuple[int, int, int], ...]  # (low, high, per-mille), high inclusive

    def factor(self, values: Mapping[str, InputValue]) -> Fraction:
        value = values[self.input]
        for low, high, per_mille in self.bands:
            if low <= value <= high:  # type: ignore[operator]
                return permille(per_mille)
        raise LookupError(f"no band for {self.input}={value}")  # a catalogue bug, caught by tests


@dataclass(frozen=True)
class PerUnitFactor:
    """Premium × the input's value (the number of people insured)."""

    input: str

    def factor(self, values: Mapping[str, InputValue]) -> Fraction:
        return Fraction(int(values[self.input]))


@dataclass(frozen=True)
class FixedBase:
    """A base premium in rials for the whole term."""

    amount: int

    def base(self, values: Mapping[str, InputValue]) -> Fraction:
        return Fraction(self.amount)


@dataclass(frozen=True)
class RateOnValue:
    """A base premium of ``rate × (sum of value inputs)`` (hull, fire, life sum insured)."""

    inputs: tuple[str, ...]
    rate: Fraction

    def base(self, values: Mapping[str, InputValue]) -> Fraction:
        return self.rate * sum(int(values[name]) for name in self.inputs)


@dataclass(frozen=True)
class Coverage:
    """A cover sold under a product; its sum insured is fixed, taken from an input, or by choice."""

    code: str
    name_fa: str
    name_en: str
    sum_insured: int | None = None
    from_input: str | None = None
    multiple: int = 1
    by_choice: tuple[str, Mapping[str, int]] | None = None

    def resolve(self, values: Mapping[str, InputValue]) -> int:
        if self.from_input is not None:
            return int(values[self.from_input]) * self.multiple
        if self.by_choice is not None:
            name, table = self.by_choice
            return table[str(values[name])]
        return int(self.sum_insured or 0)


@dataclass(frozen=True)
class CoverageLine:
    """A coverage as written on a policy: code, names and the sum insured in rials."""

    code: str
    name_fa: str
    name_en: str
    sum_insured: int

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name_fa": self.name_fa, "name_en": self.name_en, "sum_insured": self.sum_insured}


@dataclass(frozen=True)
class TermRule:
    """Allowed term lengths: whole Jalali months, or a number of days (travel)."""

    unit: Literal["months", "days"]
    months: tuple[int, ...] = ()
    min_days: int = 0
    max_days: int = 0


@dataclass(frozen=True)
class Product:
    """A line of business as sold: inputs, coverages, term rule and its rating table."""

    code: str
    name_fa: str
    name_en: str
    line: str
    mandatory: bool
    inputs: tuple[RatingInput, ...]
    coverages: tuple[Coverage, ...]
    term: TermRule
    base: FixedBase | RateOnValue
    factors: tuple[Factor, ...]
    minimum_premium: int
    vat_permille: int
    renewable: bool = True  # travel cover is bought per trip, never renewed

    def check_inputs(self, raw: Mapping[str, Any], violations: Violations, prefix: str = "inputs") -> dict[str, InputValue]:
        """Typed, complete inputs; every missing, unknown or out-of-range one goes to ``violations``."""
        known = {spec.name for spec in self.inputs}
        for name in sorted(set(raw) - known):
            violations.add(f"{prefix}.{name}", "is not a rating input of this product")
        values: dict[str, InputValue] = {}
        for spec in self.inputs:
            if spec.name not in raw or raw[spec.name] is None or raw[spec.name] == "":
                violations.add(f"{prefix}.{spec.name}", "is required")
                continue
            value, why = spec.coerce(raw[spec.name])
            if value is None:
                violations.add(f"{prefix}.{spec.name}", why)
            else:
                values[spec.name] = value
        return values

    def coverage_lines(self, values: Mapping[str, InputValue]) -> tuple[CoverageLine, ...]:
        """Coverages with their sums insured; a cover with a zero sum (no contents) is left off."""
        lines = (CoverageLine(c.code, c.name_fa, c.name_en, c.resolve(values)) for c in self.coverages)
        return tuple(line for line in lines if line.sum_insured > 0)
