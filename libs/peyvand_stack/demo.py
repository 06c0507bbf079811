"""Demo data for `make run`, loaded through each service's own code (so events and projections are real).

Idempotent: a second `make run` finds the data there and adds nothing.
"""

from __future__ import annotations

import time
from typing import Any

from peyvand_runtime import store
from peyvand_runtime.settings import ProcessSettings
from peyvand_runtime.tehran_time import tehran_date, utc_now

from peyvand_stack.processes import PortPlan

DEMO_CUSTOMERS = 2000
DEMO_POLICIES = 3000
DEMO_TICKETS = 150


def _settings(env: dict[str, str]) -> ProcessSettings:
    return ProcessSettings(mongodb_uri=env["MONGODB_URI"], mongodb_db_suffix=env.get("MONGODB_DB_SUFFIX", ""))


def seed(env: dict[str, str], plan: PortPlan, progress: Any = print) -> list[str]:
    """Seed the organisation, customers, policies and tickets; returns lines for the banner."""
    from peyvand_gateway.service_layer.org import DEMO_AGENTS, seed_demo_org

    settings = _settings(env)
    now = utc_now()
    started = time.monotonic()
    users = seed_demo_org(store.connect("gateway", settings), now)
    agents = [agent_id for agent_id, _name, _mobile, _branch in DEMO_AGENTS]
    branches = [branch for _agent, _name, _mobile, branch in DEMO_AGENTS]

    from peyvand_customer.demo import seed_demo as seed_customers

    progress(f"demo: loading {DEMO_CUSTOMERS} customers through the customer import path …")
    customers = seed_customers(store.connect("customer", settings), DEMO_CUSTOMERS, agents, branches, seed=1405)

    from peyvand_policy.demo import seed_demo as seed_policies

    progress(f"demo: issuing up to {DEMO_POLICIES} policies (some inside renewal windows today) …")
    policies = seed_policies(store.connect("policy", settings), customers, tehran_date(now), DEMO_POLICIES)

    from peyvand_ticketing.demo import seed_demo as seed_tickets

    progress(f"demo: opening up to {DEMO_TICKETS} tickets …")
    tickets = seed_tickets(store.connect("ticketing", settings), customers, now, DEMO_TICKETS)
    progress(f"demo: done in {time.monotonic() - started:.1f} s")

    lines = ["", "Demo users (username / password — role):"]
    lines += [f"    {u.username:<10} / {u.password:<20} — {u.role} ({u.display_name})" for u in users]
    lines.append(f"Demo data: {len(customers)} customers, {policies} policies issued by this run, {tickets} demo tickets (events flow to every service).")
    return lines
