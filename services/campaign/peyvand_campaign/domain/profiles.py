"""Builds the customer projection document that segment rules and filters read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from .consent import effective_consents


def _iso(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value).isoformat()
    return None


def segment_profile(customer: Mapping[str, Any], policies: Iterable[Mapping[str, Any]], today: dt.date,
                    tags: Iterable[str] = (), in_force: Collection[str] = ("active",)) -> dict[str, Any]:
    """Flatten a customer (``customer.*`` payload) and their policies (``policy.*`` payloads).

    ``next_term_end`` is the earliest term end on or after ``today`` among in-force policies;
    ``total_premium`` sums their premiums (integer rials). Absent facts are ``None`` (never
    ``""``), which segment rules treat as "no data".
    """
    policy_list = list(policies)
    live = [p for p in policy_list if p.get("status") in in_force]
    upcoming = sorted(d for d in (_iso(p.get("term_end")) for p in live) if d and d >= today.isoformat())
    return {
        "customer_id": customer.get("id") or customer.get("customer_id"),
        "roles": list(customer.get("roles") or []),
        "city": customer.get("city") or None,
        "province": customer.get("province") or None,
        "birth_date": _iso(customer.get("birth_date")),
        "tags": sorted(set(tags)),
        "branch_code": customer.get("branch_code") or None,
        "agent_id": customer.get("agent_id") or None,
        "language": customer.get("language") or "fa",
        "preferred_channel": customer.get("preferred_channel") or None,
        "product_lines": sorted({str(p["product_line"]) for p in policy_list if p.get("product_line")}),
        "policy_statuses": sorted({str(p["status"]) for p in policy_list if p.get("status")}),
        "next_term_end": upcoming[0] if upcoming else None,
        "total_premium": sum(int(p.get("premium") or 0) for p in live),
        **effective_consents(customer.get("consents") or []),
    }
