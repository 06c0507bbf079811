"""Regions, branches and agents in the gateway's database (agents saved through the outbox)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand_runtime import outbox
from pymongo.database import Database

from peyvand_gateway.domain.org import Agent, Branch, Region

PRODUCER = "gateway"


class OrgRepository:
    def __init__(self, db: Database[Any]) -> None:
        self.regions = db["regions"]
        self.branches = db["branches"]
        self.agents = db["agents"]

    # --- regions and branches (reference data, no events) ---------------------------------
    def put_region(self, region: Region) -> None:
        self.regions.update_one(
            {"_id": region.code},
            {"$set": {"name_fa": region.name_fa, "name_en": region.name_en, "branch_codes": list(region.branch_codes)}},
            upsert=True,
        )

    def put_branch(self, branch: Branch) -> None:
        fields = {"name_fa": branch.name_fa, "name_en": branch.name_en, "city": branch.city, "region_code": branch.region_code}
        self.branches.update_one({"_id": branch.code}, {"$set": fields}, upsert=True)

    def list_regions(self) -> list[Region]:
        return [
            Region(d["_id"], d.get("name_fa", ""), d.get("name_en", ""), tuple(d.get("branch_codes") or ()))
            for d in self.regions.find({}).sort("_id", 1)
        ]

    def list_branches(self, region_code: str | None = None) -> list[Branch]:
        query = {"region_code": region_code} if region_code else {}
        return [_branch(d) for d in self.branches.find(query).sort("_id", 1)]

    def get_branch(self, code: str) -> Branch | None:
        found = self.branches.find_one({"_id": code})
        return _branch(found) if found else None

    def branch_codes_of_region(self, region_code: str) -> list[str]:
        return [d["_id"] for d in self.branches.find({"region_code": region_code}, {"_id": 1})]

    # --- agents (aggregate with events) -----------------------------------------------------
    def get_agent(self, agent_id: str) -> Agent | None:
        found = self.agents.find_one({"_id": agent_id}, {"outbox": 0})
        return _agent(found) if found else None

    def list_agents(self, branch_codes: list[str] | None = None, limit: int = 200, after: str = "") -> list[Agent]:
        query: dict[str, Any] = {"_id": {"$gt": after}}
        if branch_codes is not None:
            query["branch_code"] = {"$in": branch_codes}
        return [_agent(d) for d in self.agents.find(query, {"outbox": 0}).sort("_id", 1).limit(limit)]

    def save_agent(self, agent: Agent, now: dt.datetime) -> int:
        fields = {"display_name": agent.display_name, "mobile": agent.mobile, "branch_code": agent.branch_code, "active": agent.active}
        agent.version = outbox.save(self.agents, agent.id, agent.version, fields, agent.pull_events(), PRODUCER, now)
        return agent.version


def _branch(d: dict[str, Any]) -> Branch:
    return Branch(d["_id"], d.get("name_fa", ""), d.get("name_en", ""), d.get("city", ""), d.get("region_code", ""))


def _agent(d: dict[str, Any]) -> Agent:
    return Agent(
        id=d["_id"],
        version=int(d.get("version", 0)),
        display_name=d.get("display_name", ""),
        mobile=d.get("mobile", ""),
        branch_code=d.get("branch_code", ""),
        active=bool(d.get("active", True)),
    )
