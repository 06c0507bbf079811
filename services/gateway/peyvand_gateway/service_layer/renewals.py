"""Renewals due in a branch with their journey state, and the overview dashboard.

Policies come from the policy service (ListPolicies by term-end range); the renewal journey
of each from campaign (GetPolicyJourney), all journey calls at once within one deadline.
The dashboard composes renewal conversion (journeys), SLA per queue (ticketing) and delivery
counts (campaign results) in parallel; a part that fails is named in ``degraded``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import grpc
from peyvand.campaign.v1 import campaign_pb2
from peyvand.common.v1 import paging_pb2
from peyvand.policy.v1 import policy_pb2
from peyvand.ticketing.v1 import ticketing_pb2
from peyvand_runtime.errors import ErrorDetails

from peyvand_gateway.adapters.backends import BackendError, Backends, call
from peyvand_gateway.service_layer.composition import Composed, Part, compose, merge_group

UNKNOWN, NONE = "unknown", "none"
DASHBOARD_POLICY_SCAN = 200
COUNT_FIELDS = ("sent", "delivered", "failed", "opted_out", "converted", "customers_messaged")


def latest_journeys(backends: Backends, policy_ids: list[str], seconds: float, clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """policy id → its latest renewal journey message, ``NONE`` (none started) or ``UNKNOWN``
    (campaign did not answer in time). All calls run at once; none waits past ``seconds``."""
    if backends.campaign is None:
        return dict.fromkeys(policy_ids, UNKNOWN)
    stub = backends.campaign.stub
    deadline = clock() + seconds
    futures = {}
    found: dict[str, Any] = {}
    for policy_id in dict.fromkeys(policy_ids):
        try:
            futures[policy_id] = stub.GetPolicyJourney.future(campaign_pb2.GetPolicyJourneyRequest(policy_id=policy_id), timeout=max(0.01, seconds))
        except grpc.RpcError:
            found[policy_id] = UNKNOWN
    for policy_id, future in futures.items():
        try:
            response = future.result(timeout=max(0.0, deadline - clock()))
        except grpc.FutureTimeoutError:
            future.cancel()
            found[policy_id] = UNKNOWN
            continue
        except grpc.RpcError as exc:
            found[policy_id] = NONE if exc.code() == grpc.StatusCode.NOT_FOUND else UNKNOWN
            continue
        renewal = [j for j in response.journeys if j.kind in ("renewal", "")]
        found[policy_id] = renewal[0] if renewal else NONE
    return found


def journey_state(journey: Any) -> str:
    return journey if isinstance(journey, str) else (journey.status or UNKNOWN)


def renewals_due(
    backends: Backends,
    branch_code: str,
    today: dt.date,
    weeks: int,
    page_size: int,
    cursor: str,
    deadline_seconds: float,
    present_policy: Callable[[Any], Any],
    present_journey: Callable[[Any], Any],
) -> tuple[list[dict[str, Any]], str, list[str]]:
    """Active policies ending within ``weeks`` (soonest first, as the service orders them), each
    with its renewal journey; (rows, next cursor, degraded)."""
    started = time.monotonic()
    policies = call(
        "policy",
        backends.require("policy").stub.ListPolicies,
        policy_pb2.ListPoliciesRequest(
            branch_code=branch_code,
            status=policy_pb2.ACTIVE,
            term_end_from=today.isoformat(),
            term_end_to=(today + dt.timedelta(weeks=weeks)).isoformat(),
            page=paging_pb2.PageRequest(page_size=page_size, page_token=cursor),
        ),
    )
    left = max(0.05, deadline_seconds - (time.monotonic() - started))
    journeys = latest_journeys(backends, [p.policy_id for p in policies.policies], left)
    rows = []
    for policy in policies.policies:
        journey = journeys.get(policy.policy_id, UNKNOWN)
        rows.append(
            {
                "policy": present_policy(policy),
                "journey_state": journey_state(journey),
                "journey": None if isinstance(journey, str) else present_journey(journey),
            }
        )
    degraded = ["journeys"] if any(r["journey_state"] == UNKNOWN for r in rows) else []
    return rows, policies.page.next_page_token, degraded


def renewal_conversion(journeys: dict[str, Any]) -> dict[str, Any]:
    by_state: dict[str, int] = {}
    for journey in journeys.values():
        state = journey_state(journey)
        by_state[state] = by_state.get(state, 0) + 1
    with_journey = sum(n for state, n in by_state.items() if state not in (NONE, UNKNOWN))
    converted = by_state.get("converted", 0)
    return {
        "policies": len(journeys),
        "with_journey": with_journey,
        "converted": converted,
        "by_state": by_state,
        "conversion_rate": round(converted / with_journey, 4) if with_journey else None,
    }


def overview(
    backends: Backends,
    branch_code: str,
    today: dt.date,
    window_days: int,
    campaign_ids: list[str],
    deadline_seconds: float,
    present_sla_count: Callable[[Any], Any],
    recent_campaigns: int = 0,
) -> Composed:
    """renewals: conversion of the renewal journeys of policies whose term ended in the last
    ``window_days``; sla: open tickets per queue and SLA state; campaigns: delivery counts
    summed over ``campaign_ids`` or, when none are given and ``recent_campaigns`` > 0, over the
    newest ``recent_campaigns`` campaigns (ListCampaigns, then their results, in one deadline)."""
    parts: list[Part] = []
    if backends.policy is not None:
        policy_stub = backends.policy.stub

        def conversion(response: Any, seconds_left: float) -> dict[str, Any]:
            journeys = latest_journeys(backends, [p.policy_id for p in response.policies], seconds_left)
            if any(j == UNKNOWN for j in journeys.values()):
                raise BackendError("campaign", ErrorDetails(grpc.StatusCode.DEADLINE_EXCEEDED, "DEPENDENCY_UNAVAILABLE", ""))
            return renewal_conversion(journeys)

        parts.append(
            Part(
                "renewals",
                "policy",
                lambda t: policy_stub.ListPolicies.future(
                    policy_pb2.ListPoliciesRequest(
                        branch_code=branch_code,
                        term_end_from=(today - dt.timedelta(days=window_days)).isoformat(),
                        term_end_to=today.isoformat(),
                        page=paging_pb2.PageRequest(page_size=DASHBOARD_POLICY_SCAN),
                    ),
                    timeout=t,
                ),
                lambda r: r,
                then=conversion,
            )
        )
    if backends.ticketing is not None:
        ticketing_stub = backends.ticketing.stub
        parts.append(
            Part(
                "sla",
                "ticketing",
                lambda t: ticketing_stub.QueueSlaSummary.future(ticketing_pb2.QueueSlaSummaryRequest(branch_code=branch_code), timeout=t),
                lambda r: [present_sla_count(c) for c in r.counts],
            )
        )
    campaign_parts = []
    if backends.campaign is not None:
        campaign_stub = backends.campaign.stub
        for campaign_id in dict.fromkeys(campaign_ids):
            request = campaign_pb2.GetCampaignResultsRequest(campaign_id=campaign_id)
            campaign_parts.append(
                Part(
                    f"campaigns:{campaign_id}",
                    "campaign",
                    partial(_campaign_results, campaign_stub, request),
                    lambda r: r.results,
                )
            )
    if backends.campaign is not None and not campaign_ids and recent_campaigns > 0:
        parts.insert(0, _recent_campaigns_part(backends.campaign.stub, recent_campaigns))  # two stages: listed first
    answer = compose(parts + campaign_parts, deadline_seconds)
    if "campaigns" in answer.values or "campaigns" in answer.degraded:
        return answer
    if campaign_parts:
        merge_group(answer, "campaigns", [p.name for p in campaign_parts], delivery_counts)
    else:
        answer.values["campaigns"] = delivery_counts([])
    return answer


def _recent_campaigns_part(stub: Any, count: int) -> Part:
    """The newest ``count`` campaigns (any status but draft), then their results summed."""

    def results(listed: Any, seconds_left: float) -> dict[str, int]:
        ids = [c.campaign_id for c in listed.campaigns if c.status != "draft"]
        futures = [stub.GetCampaignResults.future(campaign_pb2.GetCampaignResultsRequest(campaign_id=i), timeout=max(0.01, seconds_left)) for i in ids]
        found = []
        for future in futures:
            try:
                found.append(future.result().results)
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.NOT_FOUND:  # gone meanwhile: nothing to count
                    raise BackendError("campaign", ErrorDetails.from_rpc_error(exc)) from exc
        return delivery_counts(found)

    request = campaign_pb2.ListCampaignsRequest(page=paging_pb2.PageRequest(page_size=count))
    return Part("campaigns", "campaign", lambda t: stub.ListCampaigns.future(request, timeout=t), lambda r: r, then=results)


def _campaign_results(stub: Any, request: Any, timeout: float) -> Any:
    return stub.GetCampaignResults.future(request, timeout=timeout)


def delivery_counts(results: list[Any]) -> dict[str, int]:
    totals = {name: sum(int(getattr(r, name)) for r in results) for name in COUNT_FIELDS}
    return {"campaigns": len(results), **totals}
