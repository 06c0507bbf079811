"""Segment rules: a small JSON rule language, validated with paths and evaluated in Python.

A rule is ``{"all": [rule, ...]}``, ``{"any": [rule, ...]}`` or a leaf
``{"field": "city", "op": "in", "value": ["تهران", "شیراز"]}``. Leaves read a customer
projection document (see :mod:`.profiles`); :mod:`.segment_filter` turns the same rule into a
MongoDB filter that selects exactly the documents :func:`matches` accepts.

Missing data never matches: a leaf on a field that is absent or null is false, except
``exists: false``. So ``city not_in [تهران]`` does not select customers with no city.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from peyvand_runtime.domain import Violations

from .values import CHANNELS, PURPOSES

STRING, LIST, BOOL, AGE, DAYS, MONEY = "string", "list", "bool", "age", "days", "money"
OPERATORS = ("eq", "in", "not_in", "gte", "lte", "between", "contains", "exists")
OPS_BY_KIND: dict[str, frozenset[str]] = {
    STRING: frozenset({"eq", "in", "not_in", "exists"}),
    LIST: frozenset({"contains", "in", "not_in", "exists"}),
    BOOL: frozenset({"eq", "exists"}),
    AGE: frozenset({"eq", "in", "not_in", "exists"}),
    DAYS: frozenset({"eq", "gte", "lte", "between", "exists"}),
    MONEY: frozenset({"eq", "gte", "lte", "between", "exists"}),
}
# rule field -> (kind, projection document field)
FIELDS: dict[str, tuple[str, str]] = {
    "roles": (LIST, "roles"),
    "city": (STRING, "city"),
    "province": (STRING, "province"),
    "age_band": (AGE, "birth_date"),
    "tags": (LIST, "tags"),
    "branch_code": (STRING, "branch_code"),
    "agent_id": (STRING, "agent_id"),
    "product_line": (LIST, "product_lines"),
    "policy_status": (LIST, "policy_statuses"),
    "term_end": (DAYS, "next_term_end"),  # value: days from today (negative = already ended)
    "premium": (MONEY, "total_premium"),  # value: integer rials
}
_CONSENT_RE = re.compile(r"^consent\.([a-z]+)\.([a-z]+)$")
# (label, min age, max age or None); ages in whole years on ``today``.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-17", 0, 17), ("18-24", 18, 24), ("25-34", 25, 34), ("35-44", 35, 44),
    ("45-54", 45, 54), ("55-64", 55, 64), ("65+", 65, None),
)
BAND_LABELS = tuple(label for label, _, _ in AGE_BANDS)
MAX_DEPTH = 6


@dataclass(frozen=True)
class FieldRef:
    kind: str
    doc_field: str


def resolve_field(name: object) -> FieldRef | None:
    if not isinstance(name, str):
        return None
    if name in FIELDS:
        kind, doc_field = FIELDS[name]
        return FieldRef(kind, doc_field)
    match = _CONSENT_RE.match(name)
    if match and match.group(1) in CHANNELS and match.group(2) in PURPOSES:
        return FieldRef(BOOL, f"consent_{match.group(1)}_{match.group(2)}")
    return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_value(v: Violations, path: str, ref: FieldRef, op: str, value: object) -> None:
    def scalar_ok(item: object) -> bool:
        if ref.kind == AGE:
            return item in BAND_LABELS
        if ref.kind == BOOL:
            return isinstance(item, bool)
        if ref.kind in (DAYS, MONEY):
            return _is_int(item)
        return isinstance(item, str) and bool(item.strip())

    expected = {AGE: f"one of {', '.join(BAND_LABELS)}", BOOL: "true or false",
                DAYS: "a whole number of days", MONEY: "integer rials"}.get(ref.kind, "a non-empty string")
    if op == "exists":
        if not isinstance(value, bool):
            v.add(path, "exists takes true or false")
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            v.add(path, f"{op} takes a non-empty list")
        elif not all(scalar_ok(item) for item in value):
            v.add(path, f"each item must be {expected}")
    elif op == "between":
        if not (isinstance(value, list) and len(value) == 2 and all(_is_int(x) for x in value)):
            v.add(path, "between takes [low, high] whole numbers")
        elif value[0] > value[1]:
            v.add(path, "low must not exceed high")
    elif not scalar_ok(value):
        v.add(path, f"must be {expected}")


def _validate(v: Violations, node: object, path: str, depth: int) -> None:
    if not isinstance(node, Mapping) or not node:
        v.add(path, "a rule is required: {all: [...]}, {any: [...]} or {field, op, value}")
        return
    groups = [k for k in ("all", "any") if k in node]
    if groups:
        key = groups[0]
        if len(node) != 1:
            v.add(path, "a group has exactly one key: all or any")
            return
        children = node[key]
        if depth >= MAX_DEPTH:
            v.add(f"{path}.{key}", f"rules nest at most {MAX_DEPTH} deep")
        elif not isinstance(children, list) or not children:
            v.add(f"{path}.{key}", "must be a non-empty list of rules")
        else:
            for i, child in enumerate(children):
                _validate(v, child, f"{path}.{key}[{i}]", depth + 1)
        return
    extra = sorted(set(map(str, node)) - {"field", "op", "value"})
    if extra:
        v.add(f"{path}.{extra[0]}", "unknown key (a leaf has field, op and value)")
    ref = resolve_field(node.get("field"))
    if ref is None:
        v.add(f"{path}.field", "unknown field")
    op = node.get("op")
    if op not in OPERATORS:
        v.add(f"{path}.op", f"unknown operator (use {', '.join(OPERATORS)})")
    elif ref is not None and op not in OPS_BY_KIND[ref.kind]:
        v.add(f"{path}.op", f"{op} does not apply to {node.get('field')}")
    elif ref is not None:
        if "value" not in node:
            v.add(f"{path}.value", "is required")
        else:
            _check_value(v, f"{path}.value", ref, str(op), node["value"])


def validate_rule(rule: object, path: str = "rule") -> None:
    """Raise ValidationError naming every bad part (``rule.all[1].op``); empty → ``rule``."""
    violations = Violations()
    _validate(violations, rule, path, 0)
    violations.raise_if_any()


def rule_violations(rule: object, path: str = "rule") -> Violations:
    """The same checks, collected into ``Violations`` so a caller can merge them with its own."""
    violations = Violations()
    _validate(violations, rule, path, 0)
    return violations


def years_ago(today: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 Feb → 28 Feb in a common year)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def age_on(birth_date: dt.date, today: dt.date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def age_band(birth_date: dt.date, today: dt.date) -> str | None:
    age = age_on(birth_date, today)
    for label, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    return None  # born after today: bad data, matches no band


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _leaf(node: Mapping[str, Any], profile: Mapping[str, Any], today: dt.date) -> bool:
    ref = resolve_field(node["field"])
    assert ref is not None
    op: str = node["op"]
    wanted: Any = node.get("value")
    raw = profile.get(ref.doc_field)
    if op == "exists":
        return (raw is not None) is wanted
    if raw is None:
        return False
    if ref.kind == LIST:
        items = raw if isinstance(raw, (list, tuple)) else [raw]
        hit = any(x == wanted for x in items) if op == "contains" else any(x in wanted for x in items)
        return not hit if op == "not_in" else hit
    if ref.kind == BOOL:
        return raw is wanted
    if ref.kind == AGE:
        born = _as_date(raw)
        band = age_band(born, today) if born else None
        if band is None:
            return False
        return band == wanted if op == "eq" else (band in wanted) is (op == "in")
    if ref.kind == DAYS:
        day = _as_date(raw)
        if day is None:
            return False
        raw = (day - today).days
    elif ref.kind == MONEY and not _is_int(raw):
        return False
    if op == "eq":
        return bool(raw == wanted)
    if op == "in":
        return raw in wanted
    if op == "not_in":
        return raw not in wanted
    if op == "gte":
        return bool(raw >= wanted)
    if op == "lte":
        return bool(raw <= wanted)
    if op == "between":
        return bool(wanted[0] <= raw <= wanted[1])
    raise ValueError(f"operator {op} not evaluable")  # validate_rule makes this unreachable


def matches(rule: Mapping[str, Any], profile: Mapping[str, Any], today: dt.date) -> bool:
    """True when the projection document satisfies the (validated) rule on ``today``."""
    if "all" in rule:
        return all(matches(child, profile, today) for child in rule["all"])
    if "any" in rule:
        return any(matches(child, profile, today) for child in rule["any"])
    return _leaf(rule, profile, today)


def to_mongo_filter(rule: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """The MongoDB filter selecting what :func:`matches` accepts (built in :mod:`.segment_filter`)."""
    from .segment_filter import to_mongo_filter as build  # late: segment_filter imports this module

    return build(rule, today)
