"""Customers for branch staff (``/api/v1/customers``): search, CRUD, consent, timeline, 360°."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse
from peyvand.common.v1 import paging_pb2
from peyvand.customer.v1 import customer_pb2
from peyvand_runtime.domain import DomainError

from peyvand_gateway.adapters.backends import call
from peyvand_gateway.entrypoints import presenters
from peyvand_gateway.entrypoints.deps import GatewayDep, StaffUser
from peyvand_gateway.entrypoints.etags import content_etag, json_bytes, matches, parse_if_match, version_etag
from peyvand_gateway.entrypoints.metrics import DEGRADED
from peyvand_gateway.entrypoints.problems import for_backend_error, problem
from peyvand_gateway.entrypoints.schemas.common import PROBLEM_RESPONSES, Page
from peyvand_gateway.entrypoints.schemas.customers import (
    ConsentUpdate,
    CustomerCreate,
    CustomerPublic,
    CustomerUpdate,
    DuplicateCandidatePublic,
    InteractionCreate,
    MergeCreate,
    SearchHitPublic,
    TimelineEntryPublic,
)
from peyvand_gateway.entrypoints.schemas.views import Customer360Public
from peyvand_gateway.service_layer import customer_views

router = APIRouter(prefix="/api/v1/customers", tags=["customers"], responses=PROBLEM_RESPONSES)
Limit = Annotated[int, Query(ge=1, le=100, description="Page size")]
Cursor = Annotated[str, Query(max_length=500, description="`next_cursor` of the previous page")]
_KIND = {"person": customer_pb2.PERSON, "organisation": customer_pb2.ORGANISATION}


def to_input(body: CustomerCreate | CustomerUpdate) -> tuple[customer_pb2.CustomerInput, list[str]]:
    """The proto input and the field names that were sent (the update mask)."""
    sent = body.model_dump(exclude_unset=True, exclude={"override_duplicate_warning"})
    if isinstance(body, CustomerCreate):
        # A create carries its defaults (e.g. kind "person") even when the client left them out.
        sent = {**body.model_dump(exclude={"override_duplicate_warning"}), **sent}
    fields: dict[str, Any] = {k: v for k, v in sent.items() if v is not None}
    if "kind" in fields:
        fields["kind"] = _KIND[fields["kind"]]
    return customer_pb2.CustomerInput(**fields), sorted(sent)


def _duplicates(path: str, warnings: Any) -> JSONResponse:
    return problem(
        path,
        409,
        "CUSTOMER_DUPLICATE",
        "likely duplicates exist; check them, or resend with override_duplicate_warning=true",
        extra={"overridable": True, "duplicate_warnings": [presenters.duplicate_warning(w) for w in warnings]},
    )


@router.get("", operation_id="searchCustomers", response_model=Page[SearchHitPublic], summary="Find customers by anything")
def search_customers(
    who: StaffUser,
    gateway: GatewayDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Name, national id, mobile, email, customer or policy number")],
    limit: Limit = 20,
    cursor: Cursor = "",
) -> dict[str, Any]:
    hits, next_cursor = customer_views.search(gateway.backends, q, limit, cursor)
    return {
        "items": [{"customer": presenters.customer(c, who.caller.role), "matched_on": matched} for c, matched in hits],
        "next_cursor": next_cursor or None,
    }


@router.post("", operation_id="createCustomer", response_model=CustomerPublic, status_code=201, responses={409: PROBLEM_RESPONSES[409]})
def create_customer(
    body: CustomerCreate,
    who: StaffUser,
    gateway: GatewayDep,
    response: Response,
    idempotency_key: Annotated[str, Header(max_length=100)] = "",
) -> Any:
    """409 CUSTOMER_DUPLICATE with `duplicate_warnings` and `overridable: true` when likely
    duplicates exist; resend with `override_duplicate_warning: true` to create anyway."""
    customer_input, _ = to_input(body)
    answer = call(
        "customer",
        gateway.backends.customer.stub.CreateCustomer,
        customer_pb2.CreateCustomerRequest(
            customer=customer_input, override_duplicate_warning=body.override_duplicate_warning, idempotency_key=idempotency_key, channel="web"
        ),
    )
    if not answer.created and answer.duplicate_warnings:
        return _duplicates("/api/v1/customers", answer.duplicate_warnings)
    response.headers["ETag"] = version_etag(answer.customer.version)
    response.headers["Location"] = f"/api/v1/customers/{answer.customer.customer_id}"
    return presenters.customer(answer.customer, who.caller.role)


@router.get("/{customer_id}", operation_id="getCustomer", response_model=CustomerPublic)
def get_customer(
    customer_id: str, who: StaffUser, gateway: GatewayDep, response: Response, if_none_match: Annotated[str | None, Header()] = None
) -> Any:
    answer = call("customer", gateway.backends.customer.stub.GetCustomer, customer_pb2.GetCustomerRequest(customer_id=customer_id))
    etag = version_etag(answer.customer.version) + ""
    if answer.customer.customer_id != customer_id:
        etag = f'"{answer.customer.customer_id}-v{answer.customer.version}"'
    if matches(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": "private, no-cache"})
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, no-cache"
    return presenters.customer(answer.customer, who.caller.role)


@router.patch("/{customer_id}", operation_id="updateCustomer", response_model=CustomerPublic, responses={409: PROBLEM_RESPONSES[409]})
def update_customer(
    customer_id: str, body: CustomerUpdate, who: StaffUser, gateway: GatewayDep, response: Response, if_match: Annotated[str | None, Header()] = None
) -> Any:
    """Send the version you read (`ETag`) in `If-Match`; a stale one answers 409 VERSION_CONFLICT."""
    expected = parse_if_match(if_match)
    customer_input, mask = to_input(body)
    if not mask:
        raise DomainError("nothing to change", code="VALIDATION_FAILED")
    answer = call(
        "customer",
        gateway.backends.customer.stub.UpdateCustomer,
        customer_pb2.UpdateCustomerRequest(
            customer_id=customer_id,
            expected_version=expected,
            customer=customer_input,
            update_mask=mask,
            override_duplicate_warning=body.override_duplicate_warning,
            channel="web",
        ),
    )
    if not answer.updated and answer.duplicate_warnings:
        return _duplicates(f"/api/v1/customers/{customer_id}", answer.duplicate_warnings)
    response.headers["ETag"] = version_etag(answer.customer.version)
    return presenters.customer(answer.customer, who.caller.role)


@router.put("/{customer_id}/consents", operation_id="setConsent", response_model=CustomerPublic)
def set_consent(customer_id: str, body: ConsentUpdate, who: StaffUser, gateway: GatewayDep) -> Any:
    answer = call(
        "customer",
        gateway.backends.customer.stub.SetConsent,
        customer_pb2.SetConsentRequest(customer_id=customer_id, channel=body.channel, purpose=body.purpose, granted=body.granted, source=body.source),
    )
    return presenters.customer(answer.customer, who.caller.role)


@router.get("/{customer_id}/timeline", operation_id="listTimeline", response_model=Page[TimelineEntryPublic])
def list_timeline(customer_id: str, who: StaffUser, gateway: GatewayDep, limit: Limit = 20, cursor: Cursor = "") -> dict[str, Any]:
    answer = call(
        "customer",
        gateway.backends.customer.stub.ListTimeline,
        customer_pb2.ListTimelineRequest(customer_id=customer_id, page=paging_pb2.PageRequest(page_size=limit, page_token=cursor)),
    )
    return {"items": [presenters.timeline_entry(e) for e in answer.entries], "next_cursor": answer.page.next_page_token or None}


@router.post("/{customer_id}/interactions", operation_id="logInteraction", response_model=TimelineEntryPublic, status_code=201)
def log_interaction(
    customer_id: str, body: InteractionCreate, who: StaffUser, gateway: GatewayDep, idempotency_key: Annotated[str, Header(max_length=100)] = ""
) -> Any:
    answer = call(
        "customer",
        gateway.backends.customer.stub.LogInteraction,
        customer_pb2.LogInteractionRequest(
            customer_id=customer_id, kind=body.kind, summary=body.summary, at=body.at, idempotency_key=idempotency_key, channel="web"
        ),
    )
    return presenters.timeline_entry(answer.entry)


@router.get("/{customer_id}/duplicates", operation_id="findDuplicates", response_model=Page[DuplicateCandidatePublic])
def find_duplicates(customer_id: str, who: StaffUser, gateway: GatewayDep, limit: Limit = 20, cursor: Cursor = "") -> dict[str, Any]:
    answer = call(
        "customer",
        gateway.backends.customer.stub.FindDuplicates,
        customer_pb2.FindDuplicatesRequest(customer_id=customer_id, page=paging_pb2.PageRequest(page_size=limit, page_token=cursor)),
    )
    return {"items": [presenters.duplicate_candidate(c) for c in answer.candidates], "next_cursor": answer.page.next_page_token or None}


@router.post("/{customer_id}/merge", operation_id="mergeCustomers", response_model=CustomerPublic)
def merge_customers(customer_id: str, body: MergeCreate, who: StaffUser, gateway: GatewayDep) -> Any:
    """Merges `merged_id` into the customer in the path (the survivor)."""
    answer = call(
        "customer", gateway.backends.customer.stub.MergeCustomers, customer_pb2.MergeCustomersRequest(survivor_id=customer_id, merged_id=body.merged_id)
    )
    return presenters.customer(answer.survivor, who.caller.role)


@router.get(
    "/{customer_id}/360", operation_id="getCustomer360", response_model=Customer360Public, summary="Everything about one customer, at once"
)
async def customer_360(customer_id: str, who: StaffUser, gateway: GatewayDep, if_none_match: Annotated[str | None, Header()] = None) -> Any:
    """Composed in parallel within one deadline; parts whose service is slow or down are left
    out and named in `degraded` (the answer still comes, never a hang or a 500)."""
    return await answer_360(gateway, f"/api/v1/customers/{customer_id}/360", customer_id, who.caller.role, if_none_match, compact=False)


async def answer_360(gateway: Any, path: str, customer_id: str, role: str, if_none_match: str | None, compact: bool) -> Any:
    """Async end to end: the backend calls are awaited on the event loop, and presenting and
    rendering (a few ms of CPU) run there too; in a worker thread they would hold the same
    interpreter lock, after a thread hop."""
    present_customer = (lambda c: presenters.customer_compact(c, role)) if compact else (lambda c: presenters.customer(c, role))
    composed = await customer_views.customer_360(
        gateway.backends,
        customer_id,
        gateway.settings.compose_deadline_seconds,
        present_customer,
        presenters.policy,
        presenters.timeline_entry,
        presenters.ticket,
        presenters.delivery,
    )
    profile_error = composed.failures.get("profile")
    if profile_error is not None and not profile_error.unavailable:
        return for_backend_error(path, profile_error)  # not found / out of scope → 404
    if not composed.values:
        return problem(path, 503, "DEPENDENCY_UNAVAILABLE", "a service is unavailable; try again shortly")
    for service in composed.missing_services:
        DEGRADED.labels(service).inc()
    body = {
        "customer": composed.values.get("profile"),
        "policies": composed.values.get("policies"),
        "timeline": composed.values.get("timeline"),
        "tickets": composed.values.get("tickets"),
        "messages": composed.values.get("messages"),
        "degraded": composed.degraded,
    }
    raw = json_bytes(body)
    if composed.degraded:
        return Response(raw, media_type="application/json", headers={"Cache-Control": "no-store"})
    etag = content_etag(raw)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(raw, media_type="application/json", headers=headers)
