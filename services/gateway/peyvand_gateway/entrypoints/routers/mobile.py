"""The mobile API for agents (``/mobile/v1``): my day, my book, 360°, quick notes, sync."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from peyvand.common.v1 import paging_pb2
from peyvand.customer.v1 import customer_pb2
from peyvand_runtime.domain import NotFound
from peyvand_runtime.tehran_time import tehran_date, to_jalali

from peyvand_gateway.adapters.backends import call
from peyvand_gateway.domain.sync import QueuedChange
from peyvand_gateway.entrypoints import presenters
from peyvand_gateway.entrypoints.deps import AgentUser, GatewayDep
from peyvand_gateway.entrypoints.metrics import DEGRADED, SYNC_ITEMS
from peyvand_gateway.entrypoints.routers.customers import answer_360
from peyvand_gateway.entrypoints.schemas.common import PROBLEM_RESPONSES, Page
from peyvand_gateway.entrypoints.schemas.customers import CustomerCompact, InteractionCreate, TimelineEntryPublic
from peyvand_gateway.entrypoints.schemas.mobile import (
    PushTokenCreate,
    SyncPullResult,
    SyncPush,
    SyncPushResult,
    SyncReconcile,
    SyncReconcileResult,
)
from peyvand_gateway.entrypoints.schemas.views import Customer360Compact, MyDayPublic
from peyvand_gateway.service_layer import my_day as my_day_use_case
from peyvand_gateway.service_layer import sync as sync_use_case

router = APIRouter(prefix="/mobile/v1", tags=["mobile"], responses=PROBLEM_RESPONSES)


@router.get("/my-day", operation_id="getMyDay", response_model=MyDayPublic)
def my_day(who: AgentUser, gateway: GatewayDep) -> dict[str, Any]:
    today = tehran_date(gateway.clock())
    role = who.caller.role
    composed = my_day_use_case.my_day(
        gateway.backends,
        str(who.caller.agent_id),
        today,
        gateway.settings.compose_deadline_seconds,
        presenters.policy,
        lambda c: presenters.customer_compact(c, role),
        presenters.agenda_item,
    )
    for service in composed.missing_services:
        DEGRADED.labels(service).inc()
    return {
        "date": today.isoformat(),
        "date_jalali": to_jalali(today),
        "renewals_due": composed.values.get("renewals_due"),
        "birthdays": composed.values.get("birthdays"),
        "tasks": composed.values.get("tasks"),
        "tickets": composed.values.get("tickets"),
        "degraded": composed.degraded,
    }


@router.get("/book", operation_id="listMyBook", response_model=Page[CustomerCompact])
def my_book(
    who: AgentUser,
    gateway: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> dict[str, Any]:
    answer = call(
        "customer",
        gateway.backends.customer.stub.ListCustomers,
        customer_pb2.ListCustomersRequest(agent_id=str(who.caller.agent_id), page=paging_pb2.PageRequest(page_size=limit, page_token=cursor)),
    )
    return {
        "items": [presenters.customer_compact(c, who.caller.role) for c in answer.customers],
        "next_cursor": answer.page.next_page_token or None,
    }


@router.get("/customers/{customer_id}/360", operation_id="getCustomer360Compact", response_model=Customer360Compact)
async def customer_360(customer_id: str, who: AgentUser, gateway: GatewayDep, if_none_match: Annotated[str | None, Header()] = None) -> Any:
    return await answer_360(gateway, f"/mobile/v1/customers/{customer_id}/360", customer_id, who.caller.role, if_none_match, compact=True)


@router.post("/customers/{customer_id}/interactions", operation_id="logInteractionQuick", response_model=TimelineEntryPublic, status_code=201)
def log_interaction(
    customer_id: str, body: InteractionCreate, who: AgentUser, gateway: GatewayDep, idempotency_key: Annotated[str, Header(max_length=100)] = ""
) -> Any:
    answer = call(
        "customer",
        gateway.backends.customer.stub.LogInteraction,
        customer_pb2.LogInteractionRequest(
            customer_id=customer_id, kind=body.kind, summary=body.summary, at=body.at, idempotency_key=idempotency_key, channel="mobile"
        ),
    )
    return presenters.timeline_entry(answer.entry)


@router.put("/push-tokens", operation_id="registerPushToken", status_code=204)
def register_push_token(body: PushTokenCreate, who: AgentUser, gateway: GatewayDep) -> Response:
    gateway.push_tokens.register(who.caller.principal, body.device_id, body.platform, body.token, gateway.clock())
    return Response(status_code=204)


@router.delete("/push-tokens/{device_id}", operation_id="removePushToken", status_code=204)
def remove_push_token(device_id: str, who: AgentUser, gateway: GatewayDep) -> Response:
    if not gateway.push_tokens.remove(who.caller.principal, device_id):
        raise NotFound("no push token for this device")
    return Response(status_code=204)


@router.get("/sync/pull", operation_id="syncPull", response_model=SyncPullResult)
def sync_pull(
    who: AgentUser,
    gateway: GatewayDep,
    since: Annotated[str, Query(max_length=2000, description="`next_token` of the previous pull; empty for everything")] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    """Everything that changed in the agent's book since `since`: customers, open tasks and tickets
    in work, and the ids that left (`removed`). Pull again with `next_token` while `has_more`;
    after that the phone holds exactly the server's state of the book."""
    role = who.caller.role
    pulled = sync_use_case.pull(
        gateway.backends,
        since,
        limit,
        lambda c: presenters.customer_compact(c, role),
        presenters.task,
        presenters.ticket,
        deadline_seconds=gateway.settings.backend_timeout_seconds,
    )
    for name in pulled.degraded:
        DEGRADED.labels("customer" if name == "customers" else "ticketing").inc()
    return {
        "customers": pulled.customers,
        "tasks": pulled.tasks,
        "tickets": pulled.tickets,
        "removed": pulled.removed,
        "next_token": pulled.next_token,
        "has_more": pulled.has_more,
        "degraded": pulled.degraded,
    }


@router.post("/sync/reconcile", operation_id="syncReconcile", response_model=SyncReconcileResult)
def sync_reconcile(body: SyncReconcile, who: AgentUser, gateway: GatewayDep) -> dict[str, Any]:
    """The ids the phone holds (per kind, at most 2,000 each per call): answers those that are no
    longer in the agent's book or work — reassigned to another agent, moved to another branch,
    merged, finished or unknown — so the app drops them. Call after the pulls (`has_more` false),
    paging through what the phone holds; the changes feeds cannot report records that left the
    agent's scope. A kind named in `degraded` was not checked: nothing of it is removed."""
    held = {"customers": body.customers, "tasks": body.tasks, "tickets": body.tickets}
    answer = sync_use_case.reconcile(gateway.backends, held, deadline_seconds=gateway.settings.backend_timeout_seconds)
    for name in answer.degraded:
        DEGRADED.labels("customer" if name == "customers" else "ticketing").inc()
    return {"removed": answer.removed, "degraded": answer.degraded}


@router.post("/sync/push", operation_id="syncPush", response_model=SyncPushResult)
def sync_push(body: SyncPush, who: AgentUser, gateway: GatewayDep) -> dict[str, Any]:
    """Each change is applied at most once (by `idempotency_key`): a retried batch answers
    `duplicate` for what was applied. A stale `base_version` is a `conflict` with the
    customer as it is now; nothing is overwritten."""
    changes = [QueuedChange(c.idempotency_key, c.kind, c.customer_id, c.base_version, c.data) for c in body.changes]
    outcomes = sync_use_case.push(
        gateway.backends, gateway.receipts, who.caller.principal, changes, gateway.clock(), lambda c: presenters.customer_compact(c, who.caller.role)
    )
    for outcome in outcomes:
        SYNC_ITEMS.labels(outcome.outcome).inc()
    return {"outcomes": [{"idempotency_key": c.idempotency_key, **o.to_record()} for c, o in zip(changes, outcomes, strict=True)]}
