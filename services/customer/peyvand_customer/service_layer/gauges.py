"""The parties-by-role gauge: one aggregation over the book, run by the worker every few minutes."""

from __future__ import annotations

from prometheus_client import Gauge
from pymongo.database import Database

from peyvand_customer.adapters.schema import PARTIES
from peyvand_customer.domain.values import ROLES

PARTIES_BY_ROLE = Gauge("peyvand_customer_parties", "Active parties by role (refreshed periodically)", ["role"])


def count_by_role(db: Database) -> dict[str, int]:
    """Active parties per role (a party with two roles counts in both); every known role, 0 when none."""
    counts = dict.fromkeys(sorted(ROLES), 0)
    rows = db[PARTIES].aggregate(
        [{"$match": {"status": "active"}}, {"$project": {"roles": 1}}, {"$unwind": "$roles"}, {"$group": {"_id": "$roles", "n": {"$sum": 1}}}]
    )
    for row in rows:
        if str(row["_id"]) in counts:  # a bounded label set, whatever the store holds
            counts[str(row["_id"])] = int(row["n"])
    return counts


def refresh_parties_gauge(db: Database) -> dict[str, int]:
    """Set every role's gauge (a role nobody holds any more drops to 0 instead of keeping its old value)."""
    counts = count_by_role(db)
    for role, n in counts.items():
        PARTIES_BY_ROLE.labels(role).set(n)
    return counts
