"""The organisation directory's use cases: add or change an agent, and demo seeding."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand_runtime.domain import NotFound
from peyvand_runtime.ids import new_id
from peyvand_runtime.tehran_time import utc_now
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from peyvand_gateway.adapters.documents import ALL_DOCUMENTS
from peyvand_gateway.adapters.org_repository import OrgRepository
from peyvand_gateway.adapters.passwords import hash_password, verify_password
from peyvand_gateway.adapters.user_repository import UserRepository
from peyvand_gateway.domain.org import Agent, Branch, Region
from peyvand_gateway.domain.users import DemoUser, User


def register_agent(org: OrgRepository, display_name: str, mobile: str, branch_code: str, now: dt.datetime, agent_id: str | None = None) -> Agent:
    if org.get_branch(branch_code) is None:
        from peyvand_runtime.domain import ValidationError

        raise ValidationError.single("branch_code", "no such branch")
    agent = Agent.register(agent_id or new_id("agt"), display_name, mobile, branch_code)
    org.save_agent(agent, now)
    return agent


def change_agent(
    org: OrgRepository,
    agent_id: str,
    expected_version: int,
    now: dt.datetime,
    *,
    display_name: str | None = None,
    mobile: str | None = None,
    branch_code: str | None = None,
    active: bool | None = None,
) -> Agent:
    agent = org.get_agent(agent_id)
    if agent is None:
        raise NotFound("agent not found")
    agent.version = expected_version  # the compare-and-set refuses a stale edit
    if agent.change(display_name=display_name, mobile=mobile, branch_code=branch_code, active=active):
        org.save_agent(agent, now)
    return agent


def ensure_indexes() -> None:
    for document in ALL_DOCUMENTS:
        document.ensure_indexes()


# --- demo data ------------------------------------------------------------------------------

DEMO_REGIONS = (
    Region("TEH", "منطقه تهران", "Tehran region", ("1021", "1022")),
    Region("ISF", "منطقه اصفهان", "Isfahan region", ("3101",)),
)
DEMO_BRANCHES = (
    Branch("1021", "شعبه ونک", "Vanak branch", "تهران", "TEH"),
    Branch("1022", "شعبه تجریش", "Tajrish branch", "تهران", "TEH"),
    Branch("3101", "شعبه چهارباغ", "Chaharbagh branch", "اصفهان", "ISF"),
)
# Agent i works in DEMO_BRANCH_CODES[i % 3] — the rule the customer demo generator uses,
# so ``generate(agents=DEMO_AGENT_IDS, branches=DEMO_BRANCH_CODES)`` lines up with this.
DEMO_AGENTS = (
    ("agt_01JG0000000000000000000AG1", "مریم احمدی", "09121110001", "1021"),
    ("agt_01JG0000000000000000000AG2", "علی رضایی", "09121110002", "1022"),
    ("agt_01JG0000000000000000000AG3", "زهرا کریمی", "09131110003", "3101"),
    ("agt_01JG0000000000000000000AG4", "حسین محمدی", "09121110004", "1021"),
)
DEMO_AGENT_IDS = tuple(a[0] for a in DEMO_AGENTS)
DEMO_BRANCH_CODES = tuple(b.code for b in DEMO_BRANCHES)
_DEMO_USERS: tuple[tuple[str, str, str, str, str | None, str | None, str | None, str], ...] = (
    # user id, username, display name, role, agent, branch, region, password
    ("usr_01JG0000000000000000000MB1", "agent", "مریم احمدی", "agent", DEMO_AGENT_IDS[0], "1021", None, "agent-demo-1405"),
    ("usr_01JG0000000000000000000MB2", "staff", "نرگس موسوی", "staff", None, "1021", None, "staff-demo-1405"),
    ("usr_01JG0000000000000000000MB3", "manager", "رضا حسینی", "manager", None, None, "TEH", "manager-demo-1405"),
    ("usr_01JG0000000000000000000MB4", "marketing", "سارا نوری", "marketing", None, None, None, "marketing-demo-1405"),
    ("usr_01JG0000000000000000000MB5", "admin", "مدیر سامانه", "admin", None, None, None, "admin-demo-1405"),
)


def seed_demo_org(db: Database[Any], now: dt.datetime | None = None) -> list[DemoUser]:
    """A few regions, branches and agents and one user per role (idempotent).

    ``db`` is the gateway database from ``store.connect("gateway", settings)``. Running it
    again changes nothing (agents are only saved, with an event, when they differ).
    """
    now = now or utc_now()
    ensure_indexes()
    org = OrgRepository(db)
    for demo_region in DEMO_REGIONS:
        org.put_region(demo_region)
    for demo_branch in DEMO_BRANCHES:
        org.put_branch(demo_branch)
    for agent_id, name, mobile, agent_branch in DEMO_AGENTS:
        existing = org.get_agent(agent_id)
        if existing is None:
            register_agent(org, name, mobile, agent_branch, now, agent_id=agent_id)
        elif existing.change(display_name=name, mobile=mobile, branch_code=agent_branch, active=True):
            org.save_agent(existing, now)
    users = UserRepository(db)
    seeded = []
    for user_id, username, display, role, user_agent, branch, region, password in _DEMO_USERS:
        current = users.by_id(user_id)
        if current is None:
            try:
                users.add(User(user_id, username, display, role, hash_password(password), user_agent, branch, region))
            except DuplicateKeyError:
                pass  # a concurrent seeding won
        elif not verify_password(current.password_hash, password):
            users.set_password_hash(user_id, hash_password(password))
        seeded.append(DemoUser(username, password, role, display))
    return seeded
