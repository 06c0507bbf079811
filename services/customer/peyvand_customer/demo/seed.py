"""Demo customers for ``make run``, loaded through the same bulk import path as a CSV file."""

from __future__ import annotations

from typing import Any

from peyvand_runtime import identity
from pymongo.database import Database

from peyvand_customer.adapters.schema import PARTIES, ensure_indexes
from peyvand_customer.demo.generator import generate_parties
from peyvand_customer.service_layer import imports
from peyvand_customer.service_layer.context import Context
from peyvand_customer.settings import CustomerGrpcSettings

DEMO_PREFIX = "D"


def seed_demo(db: Database, count: int, agents: list[str], branches: list[str], seed: int) -> list[dict[str, Any]]:
    """Import ``count`` generated customers (numbers ``D00000001``…); idempotent: a re-run imports
    nothing new (the numbers are taken) and returns the same list.

    Returns compact dicts (customer_id, agent_id, branch_code, display_name) for other
    services' seeders.
    """
    ensure_indexes(db)
    ctx = Context(db, CustomerGrpcSettings().id_index_key())
    rows = ((index + 2, row) for index, row in enumerate(generate_parties(count, seed, agents, branches, prefix=DEMO_PREFIX)))
    imports.import_rows(ctx, identity.service_caller("customer-demo"), rows, channel="demo", batch_size=2000)
    numbers = [f"{DEMO_PREFIX}{i + 1:08d}" for i in range(count)]
    found: list[dict[str, Any]] = []
    projection = {"agent_id": 1, "branch_code": 1, "display_name": 1, "customer_number": 1}
    for start in range(0, len(numbers), 2000):
        docs = db[PARTIES].find({"customer_number": {"$in": numbers[start : start + 2000]}}, projection)
        found += sorted(docs, key=lambda d: d["customer_number"])
    return [{"customer_id": d["_id"], "agent_id": d.get("agent_id", ""), "branch_code": d.get("branch_code", ""), "display_name": d.get("display_name", "")} for d in found]
