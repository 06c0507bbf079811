"""Segment rule → plain MongoDB filter over the customer projection (agrees with ``matches``).

Only ``$in $nin $gte $lte $exists $or $and`` are emitted: the embedded store lacks
``$regex``, ``$elemMatch`` and ``$not``. Strict comparisons are never needed because every
compared value is a whole number or an ISO date (``x > d`` is written ``x >= d + 1 day``).
Absent-or-null never matches (as in :func:`segments.matches`), so negative operators also
require the field to exist and not be null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .segments import AGE, AGE_BANDS, BAND_LABELS, DAYS, resolve_field, validate_rule, years_ago

ALLOWED_OPERATORS = frozenset({"$in", "$nin", "$gte", "$lte", "$exists", "$or", "$and"})


def _present(field: str) -> dict[str, Any]:
    return {field: {"$exists": True, "$nin": [None]}}


def _band_range(label: str, today: dt.date) -> dict[str, Any]:
    """Birth dates whose age on ``today`` lies in the band (inclusive ISO date bounds)."""
    _, low, high = next(b for b in AGE_BANDS if b[0] == label)
    bounds: dict[str, Any] = {"$lte": years_ago(today, low).isoformat()}
    if high is not None:
        bounds["$gte"] = (years_ago(today, high + 1) + dt.timedelta(days=1)).isoformat()
    return {"birth_date": bounds}


def _bands(labels: list[str], today: dt.date) -> dict[str, Any]:
    if not labels:
        return {"birth_date": {"$in": []}}  # matches nothing
    ranges = [_band_range(label, today) for label in labels]
    return ranges[0] if len(ranges) == 1 else {"$or": ranges}


def _leaf(node: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    ref = resolve_field(node["field"])
    assert ref is not None
    field, op = ref.doc_field, str(node["op"])
    value: Any = node.get("value")
    if op == "exists":
        if value:
            return _present(field)
        return {"$or": [{field: {"$exists": False}}, {field: {"$in": [None]}}]}
    if ref.kind == AGE:
        wanted = [value] if op == "eq" else list(value)
        if op == "not_in":
            wanted = [label for label in BAND_LABELS if label not in wanted]
        return _bands(wanted, today)
    if ref.kind == DAYS:
        def to_iso(days: int) -> str:
            return (today + dt.timedelta(days=days)).isoformat()
        if op == "eq":
            return {field: {"$in": [to_iso(value)]}}
        if op == "between":
            return {field: {"$gte": to_iso(value[0]), "$lte": to_iso(value[1])}}
        return {field: {f"${op}": to_iso(value)}}
    if op in ("eq", "contains"):
        return {field: {"$in": [value]}}
    if op == "in":
        return {field: {"$in": list(value)}}
    if op == "not_in":
        return {field: {"$exists": True, "$nin": [*value, None]}}
    if op == "between":
        return {field: {"$gte": value[0], "$lte": value[1]}}
    return {field: {f"${op}": value}}  # gte / lte


def _build(rule: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    if "all" in rule:
        return {"$and": [_build(child, today) for child in rule["all"]]}
    if "any" in rule:
        return {"$or": [_build(child, today) for child in rule["any"]]}
    return _leaf(rule, today)


def to_mongo_filter(rule: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """Validate ``rule`` and translate it for ``today`` (relative dates are fixed at call time)."""
    validate_rule(rule)
    return _build(rule, today)
