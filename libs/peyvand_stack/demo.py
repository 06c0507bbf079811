"""Demo data for `make run`, loaded through each service's own code (so events and projections are real)."""

from __future__ import annotations

import importlib.util

from peyvand_stack.processes import PortPlan


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def seed(env: dict[str, str], plan: PortPlan) -> list[str]:
    """Seed what the services that exist can hold; returns lines for the banner."""
    lines: list[str] = []
    if not _available("peyvand_customer.entrypoints.grpc_main"):
        lines.append("  (no demo data yet: the customer service is not built)")
    return lines
