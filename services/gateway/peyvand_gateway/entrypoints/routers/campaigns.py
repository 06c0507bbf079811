"""Campaigns for marketing and admins (``/api/v1``): segments, templates, campaigns and
their results; plus the branch's renewals list and the overview dashboard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from peyvand.campaign.v1 import campaign_pb2 as pb
from peyvand.common.v1 import paging_pb2
from peyvand_runtime.domain import ValidationError
from peyvand_runtime.tehran_time import tehran_date

from peyvand_gateway.adapters.backends import Backends, call
from peyvand_gateway.entrypoints import presenters
from peyvand_gateway.entrypoints.deps import GatewayDep, require_roles
from peyvand_gateway.entrypoints.etags import version_etag
from peyvand_gateway.entrypoints.metrics import DEGRADED
from peyvand_gateway.entrypoints.schemas.campaigns import (
    CampaignChange,
    CampaignCreate,
    CampaignPage,
    CampaignPublic,
    CampaignWithResults,
    DashboardOverview,
    RenewalPage,
    SegmentCreate,
    SegmentPreview,
    SegmentPreviewRequest,
    SegmentPublic,
    TemplateCreate,
    TemplatePreview,
    TemplatePreviewRequest,
    TemplatePublic,
)
from peyvand_gateway.entrypoints.schemas.common import PROBLEM_RESPONSES
from peyvand_gateway.service_layer import renewals

router = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=PROBLEM_RESPONSES)
PlannerUser = Annotated[Any, Depends(require_roles("marketing", "admin"))]
RenewalsUser = Annotated[Any, Depends(require_roles("staff", "manager", "admin", "agent"))]
RECENT_CAMPAIGNS = 10
PLANNER_ROLES = ("marketing", "manager", "admin")  # the campaign service's planners (staff are not)
DashboardUser = Annotated[Any, Depends(require_roles("staff", "manager", "admin", "marketing"))]
IfMatch = Annotated[str | None, Header(description="The campaign's ETag; optional, refuses a stale change with 409")]
_CHANGES = {"schedule": "ScheduleCampaign", "start": "StartCampaign", "pause": "PauseCampaign", "stop": "StopCampaign"}


def _stub(backends: Backends) -> Any:
    return backends.require("campaign").stub


def _expected(if_match: str | None) -> int:
    from peyvand_gateway.entrypoints.etags import parse_if_match

    return parse_if_match(if_match) if if_match else 0


# --- segments -------------------------------------------------------------------------------------


@router.post("/segments", operation_id="createSegment", response_model=SegmentPublic, status_code=201)
def create_segment(body: SegmentCreate, who: PlannerUser, gateway: GatewayDep) -> dict[str, Any]:
    answer = call("campaign", _stub(gateway.backends).CreateSegment, pb.CreateSegmentRequest(**body.model_dump()))
    return presenters.segment(answer.segment)


@router.post("/segments/preview", operation_id="previewSegment", response_model=SegmentPreview)
def preview_segment(body: SegmentPreviewRequest, who: PlannerUser, gateway: GatewayDep) -> dict[str, Any]:
    """How many customers a rule (or stored segment) matches, and a small sample (names masked for marketing)."""
    answer = call("campaign", _stub(gateway.backends).PreviewSegment, pb.PreviewSegmentRequest(**body.model_dump()))
    return {"count": int(answer.count), "sample": [presenters.segment_member(m, who.caller.role) for m in answer.sample]}


@router.get("/segments", operation_id="listSegments", response_model=list[SegmentPublic])
def list_segments(who: PlannerUser, gateway: GatewayDep, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    answer = call("campaign", _stub(gateway.backends).ListSegments, pb.ListSegmentsRequest(page_size=limit))
    return [presenters.segment(s) for s in answer.segments]


# --- templates ------------------------------------------------------------------------------------


@router.post("/templates", operation_id="createTemplate", response_model=TemplatePublic, status_code=201)
def create_template(body: TemplateCreate, who: PlannerUser, gateway: GatewayDep) -> dict[str, Any]:
    answer = call("campaign", _stub(gateway.backends).CreateTemplate, pb.CreateTemplateRequest(**body.model_dump()))
    return presenters.template(answer.template)


@router.post("/templates/preview", operation_id="previewTemplate", response_model=TemplatePreview)
def preview_template(body: TemplatePreviewRequest, who: PlannerUser, gateway: GatewayDep) -> dict[str, Any]:
    """A stored template (`template_id`) or the one being typed (`draft`), rendered with the
    customer's/policy's values or, without them, made-up sample values (named in `sample_values`)."""
    if bool(body.template_id) == (body.draft is not None):
        raise ValidationError.single("template_id", "give either template_id or draft")
    request = pb.PreviewTemplateRequest(customer_id=body.customer_id, policy_id=body.policy_id, language=body.language)
    if body.draft is not None:
        request.draft.CopyFrom(pb.TemplateDraft(**body.draft.model_dump()))
    else:
        request.template_id = body.template_id
    answer = call("campaign", _stub(gateway.backends).PreviewTemplate, request)
    return presenters.template_preview(answer)


@router.get("/templates", operation_id="listTemplates", response_model=list[TemplatePublic])
def list_templates(who: PlannerUser, gateway: GatewayDep, channel: Annotated[str, Query(pattern="^(|sms|email|push)$")] = "") -> list[dict[str, Any]]:
    answer = call("campaign", _stub(gateway.backends).ListTemplates, pb.ListTemplatesRequest(channel=channel))
    return [presenters.template(t) for t in answer.templates]


# --- campaigns ------------------------------------------------------------------------------------


@router.post("/campaigns", operation_id="createCampaign", response_model=CampaignPublic, status_code=201)
def create_campaign(body: CampaignCreate, who: PlannerUser, gateway: GatewayDep, response: Response) -> dict[str, Any]:
    answer = call("campaign", _stub(gateway.backends).CreateCampaign, pb.CreateCampaignRequest(**body.model_dump()))
    response.headers["Location"] = f"/api/v1/campaigns/{answer.campaign.campaign_id}"
    response.headers["ETag"] = version_etag(answer.campaign.version)
    return presenters.campaign(answer.campaign)


@router.get("/campaigns", operation_id="listCampaigns", response_model=CampaignPage)
def list_campaigns(
    who: PlannerUser,
    gateway: GatewayDep,
    status: Annotated[str, Query(pattern="^(|draft|scheduled|running|paused|stopped|completed)$", description="Empty: every status")] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str, Query(max_length=500, description="`next_cursor` of the previous page")] = "",
) -> dict[str, Any]:
    """Campaigns newest first (by creation), one page at a time; results per campaign are at
    `/campaigns/{campaign_id}/results`."""
    answer = call("campaign", _stub(gateway.backends).ListCampaigns,
                  pb.ListCampaignsRequest(status=status, page=paging_pb2.PageRequest(page_size=limit, page_token=cursor)))
    return {"items": [presenters.campaign(c) for c in answer.campaigns], "next_cursor": answer.page.next_page_token or None}


def _change(action: str, campaign_id: str, body: CampaignChange, gateway: Any, response: Response, if_match: str | None) -> dict[str, Any]:
    method = getattr(_stub(gateway.backends), _CHANGES[action])
    answer = call("campaign", method, pb.ChangeCampaignRequest(campaign_id=campaign_id, expected_version=_expected(if_match), reason=body.reason))
    response.headers["ETag"] = version_etag(answer.campaign.version)
    return presenters.campaign(answer.campaign)


@router.post("/campaigns/{campaign_id}/schedule", operation_id="scheduleCampaign", response_model=CampaignPublic)
def schedule_campaign(campaign_id: str, body: CampaignChange, who: PlannerUser, gateway: GatewayDep, response: Response, if_match: IfMatch = None) -> Any:
    return _change("schedule", campaign_id, body, gateway, response, if_match)


@router.post("/campaigns/{campaign_id}/start", operation_id="startCampaign", response_model=CampaignPublic)
def start_campaign(campaign_id: str, body: CampaignChange, who: PlannerUser, gateway: GatewayDep, response: Response, if_match: IfMatch = None) -> Any:
    return _change("start", campaign_id, body, gateway, response, if_match)


@router.post("/campaigns/{campaign_id}/pause", operation_id="pauseCampaign", response_model=CampaignPublic)
def pause_campaign(campaign_id: str, body: CampaignChange, who: PlannerUser, gateway: GatewayDep, response: Response, if_match: IfMatch = None) -> Any:
    return _change("pause", campaign_id, body, gateway, response, if_match)


@router.post("/campaigns/{campaign_id}/stop", operation_id="stopCampaign", response_model=CampaignPublic)
def stop_campaign(campaign_id: str, body: CampaignChange, who: PlannerUser, gateway: GatewayDep, response: Response, if_match: IfMatch = None) -> Any:
    return _change("stop", campaign_id, body, gateway, response, if_match)


@router.get("/campaigns/{campaign_id}/results", operation_id="getCampaignResults", response_model=CampaignWithResults)
def campaign_results(campaign_id: str, who: PlannerUser, gateway: GatewayDep) -> dict[str, Any]:
    answer = call("campaign", _stub(gateway.backends).GetCampaignResults, pb.GetCampaignResultsRequest(campaign_id=campaign_id))
    return {"campaign": presenters.campaign(answer.campaign), "results": presenters.campaign_results(answer.results)}


# --- renewals and dashboards ------------------------------------------------------------------------


@router.get("/renewals", operation_id="listRenewals", response_model=RenewalPage, tags=["renewals"], summary="Policies due for renewal, with journey state")
def list_renewals(
    who: RenewalsUser,
    gateway: GatewayDep,
    branch_code: Annotated[str, Query(max_length=10, description="Empty: every branch in my scope")] = "",
    weeks: Annotated[int, Query(ge=1, le=12, description="Terms ending within this many weeks")] = 4,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> dict[str, Any]:
    """Active policies ending in the coming weeks (policy service) and the state of each one's
    renewal journey (campaign). When campaign is slow or down the list still comes, with
    `journey_state: unknown` and `degraded: ["journeys"]`."""
    rows, next_cursor, degraded = renewals.renewals_due(
        gateway.backends,
        branch_code,
        tehran_date(gateway.clock()),
        weeks,
        limit,
        cursor,
        gateway.settings.compose_deadline_seconds,
        presenters.policy,
        presenters.journey,
    )
    if degraded:
        DEGRADED.labels("campaign").inc()
    return {"items": rows, "next_cursor": next_cursor or None, "degraded": degraded}


@router.get("/dashboards/overview", operation_id="getDashboardOverview", response_model=DashboardOverview, tags=["dashboards"])
def dashboard_overview(
    who: DashboardUser,
    gateway: GatewayDep,
    branch_code: Annotated[str, Query(max_length=10)] = "",
    window_days: Annotated[int, Query(ge=1, le=120, description="Renewal conversion over terms that ended in the last N days")] = 30,
    campaign_id: Annotated[
        list[str] | None, Query(max_length=20, description="Campaigns whose delivery counts are summed; none: the 10 newest (planner roles)")
    ] = None,
) -> dict[str, Any]:
    """Renewal conversion (policy + campaign journeys), SLA state per queue (ticketing) and
    campaign delivery counts (campaign results), composed in parallel within one deadline;
    parts that fail are null and named in `degraded`. Branch staff do not see campaign results
    (a planner's view): for them `campaigns` counts nothing."""
    composed = renewals.overview(
        gateway.backends,
        branch_code,
        tehran_date(gateway.clock()),
        window_days,
        list(campaign_id or []),
        gateway.settings.compose_deadline_seconds,
        presenters.sla_count,
        recent_campaigns=RECENT_CAMPAIGNS if who.caller.role in PLANNER_ROLES else 0,
    )
    for service in composed.missing_services:
        DEGRADED.labels(service).inc()
    return {
        "branch_code": branch_code,
        "window_days": window_days,
        "renewals": composed.values.get("renewals"),
        "sla": composed.values.get("sla"),
        "campaigns": composed.values.get("campaigns"),
        "degraded": composed.degraded,
    }
