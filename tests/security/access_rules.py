"""The access-control matrix's classification of every gateway route, and the role gates read
from the routes themselves (``require_roles`` closures in their dependencies).

A route missing here fails ``test_every_route_is_classified``: a new endpoint cannot slip in
without someone deciding how its scope is tested.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from security_stack import Record

Body = Callable[[Record, dict[str, Record]], Any]


@dataclass(frozen=True)
class Rule:
    """How one route is checked.

    kind: ``public`` (no sign-in), ``self`` (about the caller only), ``global`` (no individual
    records), ``record`` (a record named in the path, or in the body via ``body``), ``list``
    (individual records of the caller's scope, checked for leaks).
    write: a write (out of scope: 403 or 404); else a read (out of scope: 404).
    attr: the ``Record`` field the path parameter takes.
    """

    kind: str
    write: bool = False
    attr: str = ""
    body: Body | None = None
    headers: dict[str, str] = field(default_factory=dict)
    query: str = ""


def _r(attr: str) -> Rule:
    return Rule("record", attr=attr)


def _w(attr: str, body: Body | None = None, **headers: str) -> Rule:
    return Rule("record", write=True, attr=attr, body=body, headers=headers)


def _key() -> str:
    return uuid.uuid4().hex


PUBLIC = Rule("public")
SELF = Rule("self")
GLOBAL = Rule("global")

RULES: dict[tuple[str, str], Rule] = {
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): SELF,
    ("GET", "/api/v1/auth/me"): SELF,
    ("GET", "/api/v1/customers"): Rule("list", query="q={search}"),
    # Creating a customer names its owner; the scope of the new record is the customer service's rule.
    ("POST", "/api/v1/customers"): GLOBAL,
    ("GET", "/api/v1/customers/{customer_id}"): _r("customer_id"),
    ("PATCH", "/api/v1/customers/{customer_id}"): _w("customer_id", lambda t, _: {"last_name": "نفوذی"}, **{"If-Match": '"v1"'}),
    ("PUT", "/api/v1/customers/{customer_id}/consents"): _w("customer_id", lambda t, _: {"channel": "sms", "purpose": "marketing", "granted": True}),
    ("GET", "/api/v1/customers/{customer_id}/timeline"): _r("customer_id"),
    ("POST", "/api/v1/customers/{customer_id}/interactions"): _w("customer_id", lambda t, _: {"kind": "call", "summary": "تماس"}),
    ("GET", "/api/v1/customers/{customer_id}/duplicates"): _r("customer_id"),
    ("POST", "/api/v1/customers/{customer_id}/merge"): _w("customer_id", lambda t, rs: {"merged_id": rs["mine"].customer_id}),
    ("GET", "/api/v1/customers/{customer_id}/360"): _r("customer_id"),
    ("GET", "/api/v1/products"): GLOBAL,
    ("GET", "/api/v1/policies"): Rule("list", query="limit=200"),
    ("POST", "/api/v1/policies"): Rule("record", write=True, body=lambda t, _: {"quote_id": t.quote_id}, headers={"Idempotency-Key": "k"}),
    ("GET", "/api/v1/policies/{policy_id}"): _r("policy_id"),
    ("GET", "/api/v1/policies/{policy_id}/history"): _r("policy_id"),
    ("POST", "/api/v1/quotes"): Rule(
        "record", write=True,
        # The quote names an owner in the caller's own scope; only the holder is out of it.
        body=lambda t, rs: {"product_code": "motor_tpl", "holder_id": t.customer_id, "agent_id": rs["mine"].agent_id, "branch_code": rs["mine"].branch, "inputs": {"vehicle_type": "passenger_car", "usage": "personal", "engine_cc": "1600", "no_claims_years": "3"}},
    ),
    ("GET", "/api/v1/quotes/{quote_id}"): _r("quote_id"),
    ("POST", "/api/v1/policies/{policy_id}/endorsements"): _w("policy_id", lambda t, _: {"inputs": {"engine_cc": "2000"}}, **{"If-Match": '"v1"'}),
    ("POST", "/api/v1/policies/{policy_id}/renewal"): _w("policy_id", lambda t, _: {"quote_id": t.quote_id}, **{"If-Match": '"v1"'}),
    ("POST", "/api/v1/policies/{policy_id}/cancellation"): _w("policy_id", lambda t, _: {"reason": "درخواست بیمه‌گذار"}, **{"If-Match": '"v1"'}),
    ("GET", "/api/v1/tickets"): Rule("list", query="limit=100"),
    ("POST", "/api/v1/tickets"): Rule(
        "record", write=True, body=lambda t, _: {"type": "complaint", "category": "claim_delay", "customer_id": t.customer_id, "subject": "نفوذی"}
    ),
    ("GET", "/api/v1/tickets/{ticket_id}"): _r("ticket_id"),
    ("POST", "/api/v1/tickets/{ticket_id}/assignment"): _w("ticket_id", lambda t, _: {"assignee_id": "usr_01JG0000000000000000000MB2"}),
    ("POST", "/api/v1/tickets/{ticket_id}/replies"): _w("ticket_id", lambda t, _: {"body": "پاسخ"}),
    ("GET", "/api/v1/tickets/{ticket_id}/replies"): _r("ticket_id"),
    ("POST", "/api/v1/tickets/{ticket_id}/notes"): _w("ticket_id", lambda t, _: {"body": "یادداشت"}),
    ("POST", "/api/v1/tickets/{ticket_id}/status"): _w("ticket_id", lambda t, _: {"status": "pending_customer"}),
    ("PUT", "/api/v1/tickets/{ticket_id}/satisfaction"): _w("ticket_id", lambda t, _: {"satisfaction_score": 1}),
    ("GET", "/api/v1/tickets/{ticket_id}/activity"): _r("ticket_id"),
    ("GET", "/api/v1/tasks"): Rule("list", query="limit=100"),
    ("POST", "/api/v1/tasks"): Rule(
        "record", write=True, body=lambda t, _: {"kind": "follow_up", "customer_id": t.customer_id, "title": "نفوذی", "due_date_jalali": "1405/09/03"}
    ),
    ("POST", "/api/v1/tasks/{task_id}/completion"): _w("task_id", lambda t, _: {"outcome": "انجام شد"}),
    ("GET", "/api/v1/queues"): GLOBAL,
    ("GET", "/api/v1/queues/sla-summary"): GLOBAL,
    ("GET", "/api/v1/holidays"): GLOBAL,
    ("PUT", "/api/v1/holidays"): GLOBAL,
    ("DELETE", "/api/v1/holidays/{date}"): GLOBAL,
    # Campaign planning works on segments and aggregates (marketing, admin), not on single records.
    ("POST", "/api/v1/segments"): GLOBAL,
    ("POST", "/api/v1/segments/preview"): GLOBAL,
    ("GET", "/api/v1/segments"): GLOBAL,
    ("POST", "/api/v1/templates"): GLOBAL,
    ("POST", "/api/v1/templates/preview"): GLOBAL,
    ("GET", "/api/v1/templates"): GLOBAL,
    ("POST", "/api/v1/campaigns"): GLOBAL,
    ("GET", "/api/v1/campaigns"): GLOBAL,
    ("POST", "/api/v1/campaigns/{campaign_id}/schedule"): GLOBAL,
    ("POST", "/api/v1/campaigns/{campaign_id}/start"): GLOBAL,
    ("POST", "/api/v1/campaigns/{campaign_id}/pause"): GLOBAL,
    ("POST", "/api/v1/campaigns/{campaign_id}/stop"): GLOBAL,
    ("GET", "/api/v1/campaigns/{campaign_id}/results"): GLOBAL,
    ("GET", "/api/v1/renewals"): Rule("list", query="weeks=12&limit=100"),
    ("GET", "/api/v1/dashboards/overview"): Rule("list"),
    ("GET", "/api/v1/org/regions"): GLOBAL,
    ("GET", "/api/v1/org/branches"): GLOBAL,
    ("GET", "/api/v1/org/agents"): GLOBAL,
    ("POST", "/api/v1/org/agents"): GLOBAL,
    ("PATCH", "/api/v1/org/agents/{agent_id}"): GLOBAL,
    ("GET", "/mobile/v1/my-day"): Rule("list"),
    ("GET", "/mobile/v1/book"): Rule("list", query="limit=200"),
    ("GET", "/mobile/v1/customers/{customer_id}/360"): _r("customer_id"),
    ("POST", "/mobile/v1/customers/{customer_id}/interactions"): _w("customer_id", lambda t, _: {"kind": "call", "summary": "تماس"}),
    ("PUT", "/mobile/v1/push-tokens"): SELF,
    ("DELETE", "/mobile/v1/push-tokens/{device_id}"): SELF,
    ("GET", "/mobile/v1/sync/pull"): Rule("list", query="limit=500"),
    # Answers only ids the caller sent (an out-of-scope one as "removed", like an unknown one),
    # never a record: a list that must carry nothing out of scope; agents only.
    ("POST", "/mobile/v1/sync/reconcile"): Rule("list"),
    ("POST", "/mobile/v1/sync/push"): Rule(
        "record", write=True,
        body=lambda t, _: {"changes": [{"idempotency_key": _key(), "kind": "log_interaction", "customer_id": t.customer_id, "data": {"kind": "call", "summary": "x"}}]},
    ),
    ("GET", "/u/{token}"): PUBLIC,
    ("POST", "/u/{token}"): PUBLIC,
    ("POST", "/webhooks/sms/inbound"): PUBLIC,
    ("GET", "/livez"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("HEAD", "/openapi.json"): PUBLIC,
}
# Mounted static files and web pages (no data; the API calls they make are the routes above).
PUBLIC_PREFIXES = ("/docs", "/static", "/app", "/assets", "/favicon")


@functools.cache
def _app() -> Any:
    from peyvand_gateway.entrypoints.app import create_app

    return create_app(None)  # type: ignore[arg-type] # for its routes only; nothing is served


def gateway_routes() -> list[tuple[str, str]]:
    """(METHOD, path) of every route of the gateway app, as FastAPI serves them."""
    found: list[tuple[str, str]] = []
    for route in _app().routes:
        contexts = list(route.effective_route_contexts()) if hasattr(route, "effective_route_contexts") else [route]
        for context in contexts:
            methods = getattr(context, "methods", None) or {"MOUNT"}
            found.extend((method, str(context.path)) for method in sorted(methods))
    return found


def published_operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in the app's OpenAPI document."""
    spec = _app().openapi()
    return [(method.upper(), path) for path, operations in spec["paths"].items() for method in operations]


def allowed_roles(method: str, path: str) -> set[str] | None:
    """The roles the route's ``require_roles`` guards let through (``None``: no guard)."""
    for route in _app().routes:
        for context in route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else ():
            if context.path == path and method in context.methods:
                return _guarded(context.dependant)
    raise KeyError((method, path))


def _guarded(dependant: Any) -> set[str] | None:
    found: set[str] | None = None
    for dependency in dependant.dependencies:
        call = dependency.call
        for cell in getattr(call, "__closure__", None) or ():
            value = cell.cell_contents
            if getattr(call, "__name__", "") == "check" and isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
                found = set(value) if found is None else found & set(value)
        inner = _guarded(dependency)
        if inner is not None:
            found = inner if found is None else found & inner
    return found
