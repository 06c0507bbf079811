"""The organisation directory (``/api/v1/org``): regions, branches, agents."""

from __future__ import annotations

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from peyvand_gateway.domain.masking import local_mobile
from peyvand_gateway.domain.org import Agent
from peyvand_gateway.entrypoints.deps import AdminUser, GatewayDep, StaffUser
from peyvand_gateway.entrypoints.etags import parse_if_match
from peyvand_gateway.entrypoints.schemas.common import PROBLEM_RESPONSES
from peyvand_gateway.service_layer import org as org_use_cases

router = APIRouter(prefix="/api/v1/org", tags=["org"], responses=PROBLEM_RESPONSES)


class RegionPublic(BaseModel):
    code: str = Field(examples=["TEH"])
    name_fa: str
    name_en: str
    branch_codes: list[str]


class BranchPublic(BaseModel):
    code: str = Field(examples=["1021"])
    name_fa: str
    name_en: str
    city: str
    region_code: str


class AgentPublic(BaseModel):
    agent_id: str
    display_name: str
    mobile: str
    branch_code: str
    active: bool
    version: int


class AgentCreate(BaseModel):
    display_name: str = Field(min_length=1, max_length=100, examples=["مریم احمدی"])
    mobile: str = Field(examples=["09121110001"])
    branch_code: str = Field(examples=["1021"])


class AgentUpdate(BaseModel):
    display_name: str | None = None
    mobile: str | None = None
    branch_code: str | None = None
    active: bool | None = None


def _agent(agent: Agent) -> AgentPublic:
    return AgentPublic(
        agent_id=agent.id,
        display_name=agent.display_name,
        mobile=local_mobile(agent.mobile),
        branch_code=agent.branch_code,
        active=agent.active,
        version=agent.version,
    )


@router.get("/regions", operation_id="listRegions", response_model=list[RegionPublic])
def list_regions(who: StaffUser, gateway: GatewayDep) -> list[RegionPublic]:
    return [RegionPublic(code=r.code, name_fa=r.name_fa, name_en=r.name_en, branch_codes=list(r.branch_codes)) for r in gateway.org.list_regions()]


@router.get("/branches", operation_id="listBranches", response_model=list[BranchPublic])
def list_branches(who: StaffUser, gateway: GatewayDep, region: str | None = None) -> list[BranchPublic]:
    return [BranchPublic(**b.__dict__) for b in gateway.org.list_branches(region)]


@router.get("/agents", operation_id="listAgents", response_model=list[AgentPublic])
def list_agents(who: StaffUser, gateway: GatewayDep, branch: str | None = None) -> list[AgentPublic]:
    return [_agent(a) for a in gateway.org.list_agents([branch] if branch else None)]


@router.post("/agents", operation_id="createAgent", response_model=AgentPublic, status_code=201)
def create_agent(body: AgentCreate, who: AdminUser, gateway: GatewayDep) -> AgentPublic:
    return _agent(org_use_cases.register_agent(gateway.org, body.display_name, body.mobile, body.branch_code, gateway.clock()))


@router.patch("/agents/{agent_id}", operation_id="updateAgent", response_model=AgentPublic)
def update_agent(agent_id: str, body: AgentUpdate, who: AdminUser, gateway: GatewayDep, if_match: str | None = Header(default=None)) -> AgentPublic:
    agent = org_use_cases.change_agent(gateway.org, agent_id, parse_if_match(if_match), gateway.clock(), **body.model_dump(exclude_unset=True))
    return _agent(agent)
