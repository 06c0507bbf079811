"""Whole-book scans (duplicate scan, export, import's known keys) page by skip/limit in ``_id``
order: every matching party once, in order, even when parties are added behind the position."""

from __future__ import annotations

from typing import Any


def _party(i: int, status: str = "active", agent: str = "agt_A") -> dict[str, Any]:
    return {"_id": f"cus_{i:06d}", "status": status, "agent_id": agent, "branch_code": "1201", "first_name": f"n{i}", "version": 1}


def test_scan_yields_every_matching_party_once_in_id_order(api) -> None:  # type: ignore[no-untyped-def]
    col = api.ctx.parties.col
    col.insert_many([_party(i, status="merged" if i % 5 == 0 else "active", agent="agt_B" if i % 3 == 0 else "agt_A") for i in range(1, 48)])

    everything = [d["_id"] for d in api.ctx.parties.scan({}, chunk=7)]
    assert everything == [f"cus_{i:06d}" for i in range(1, 48)]

    active = list(api.ctx.parties.scan({"status": "active"}, {"first_name": 1}, chunk=7))
    assert [d["_id"] for d in active] == [f"cus_{i:06d}" for i in range(1, 48) if i % 5]
    assert all(d["first_name"] for d in active)

    agent_b = [d["_id"] for d in api.ctx.parties.scan({"status": "active", "agent_id": "agt_B"}, chunk=4)]
    assert agent_b == [f"cus_{i:06d}" for i in range(1, 48) if i % 5 and i % 3 == 0]

    by_branch = [d["_id"] for d in api.ctx.parties.scan({"branch_code": {"$in": ["1201"]}, "status": {"$in": ["merged"]}}, chunk=3)]
    assert by_branch == [f"cus_{i:06d}" for i in range(5, 48, 5)]


def test_a_party_added_behind_the_position_shifts_nothing_twice(api) -> None:  # type: ignore[no-untyped-def]
    col = api.ctx.parties.col
    col.insert_many([_party(i) for i in range(10, 60, 2)])  # even numbers 10..58
    seen: list[str] = []
    for doc in api.ctx.parties.scan({}, chunk=5):
        seen.append(doc["_id"])
        if doc["_id"] == "cus_000020":
            col.insert_one(_party(11))  # behind the position: the next page starts one earlier
        if doc["_id"] == "cus_000030":
            col.insert_one(_party(57))  # beyond the page in hand: still to come
    # Every party there at the start, once and in order; the one added behind is not seen (a
    # scan is no snapshot), the one added ahead is.
    assert seen == [f"cus_{i:06d}" for i in sorted([*range(10, 60, 2), 57])]
