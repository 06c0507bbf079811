"""Deterministic demo data for the customer service (seeding, load tests, importer fixtures).

``from peyvand_customer.demo import seed_demo`` (the seeder lives in ``demo/seed.py``: a
``demo.py`` module cannot sit beside this package).
"""

from __future__ import annotations

from typing import Any


def seed_demo(db: Any, count: int, agents: list[str], branches: list[str], seed: int) -> list[dict[str, Any]]:
    from peyvand_customer.demo.seed import seed_demo as run

    return run(db, count, agents, branches, seed)
