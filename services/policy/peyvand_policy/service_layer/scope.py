"""Scoping for policy reads and writes: out of scope is NOT_FOUND, never a hint that it exists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from peyvand_runtime.domain import NotFound, PermissionDenied, ValidationError
from peyvand_runtime.identity import can_see_record, current_caller, scope_filter

from peyvand_policy.domain.policy import Policy
from peyvand_policy.domain.quote import Quote
from peyvand_policy.service_layer.context import PolicyServices


def policy_not_found(policy_id: str = "") -> NotFound:
    return NotFound("policy not found", code="POLICY_NOT_FOUND", metadata={"policy_id": policy_id[:40]} if policy_id else None)


def visible_policy(services: PolicyServices, policy_id: str) -> Policy:
    policy = services.policies.get(policy_id) if policy_id else None
    if policy is None or not can_see_record(current_caller(), policy.agent_id, policy.branch_code):
        raise policy_not_found(policy_id)
    return policy


def visible_quote(services: PolicyServices, quote_id: str, cached: Quote | None = None) -> Quote:
    """The quote if the caller may see it (``cached``: a copy already at hand, checked the same way)."""
    quote = cached or (services.quotes.get(quote_id) if quote_id else None)
    if quote is None or not can_see_record(current_caller(), quote.agent_id, quote.branch_code):
        raise NotFound("quote not found", code="QUOTE_NOT_FOUND", metadata={"quote_id": quote_id[:40]})
    return quote


def list_filter() -> dict[str, Any] | None:
    """The caller's row filter for lists (None: no individual policies at all)."""
    return scope_filter(current_caller())


def require_visible_customers(services: PolicyServices, customer_ids: Sequence[str]) -> None:
    """Refuse new business for a holder or insured outside the caller's scope (NOT_FOUND, as a
    read would). Judged on the customer projection; a customer not projected yet is not judged.

    A caller who sees every record (admin, service) cannot be refused, so nothing is read for
    them; for the others the projection reads of concurrent calls share one ``_id $in`` find
    (``PolicyServices.customer_refs``, a read made after each request arrived)."""
    caller = current_caller()
    if can_see_record(caller, None, None):  # sees records owned by no one: sees them all
        return
    for customer_id in dict.fromkeys(customer_ids):
        ref = services.customer_refs.get(customer_id) if customer_id else None
        if ref is not None and not can_see_record(caller, ref.get("agent_id"), ref.get("branch_code")):
            raise NotFound("customer not found", code="CUSTOMER_NOT_FOUND")


def owner_for_new_business(agent_id: str, branch_code: str) -> tuple[str, str]:
    """The agent and branch a new quote is written for, defaulted and checked against the caller.

    An agent writes only for themselves; staff and managers only for their branches;
    marketing writes no individual business.
    """
    caller = current_caller()
    if caller.role == "agent":
        agent_id = agent_id or caller.agent_id or ""
        if agent_id != caller.agent_id:
            raise ValidationError.single("agent_id", "an agent quotes only for their own book")
        if not branch_code and len(caller.branch_codes) == 1:
            branch_code = caller.branch_codes[0]
    elif caller.role in ("staff", "manager"):
        if not branch_code and len(caller.branch_codes) == 1:
            branch_code = caller.branch_codes[0]
        if branch_code and branch_code not in caller.branch_codes:
            raise ValidationError.single("branch_code", "is not one of your branches")
    elif caller.role == "marketing":
        raise PermissionDenied("marketing works with aggregates, not individual policies")
    return agent_id, branch_code
