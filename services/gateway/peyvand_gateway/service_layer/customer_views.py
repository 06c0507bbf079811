"""Answers composed from several backends: search (incl. policy numbers) and the 360° view."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from peyvand.campaign.v1 import campaign_pb2
from peyvand.common.v1 import paging_pb2
from peyvand.customer.v1 import customer_pb2
from peyvand.policy.v1 import policy_pb2
from peyvand.ticketing.v1 import ticketing_pb2
from peyvand_runtime.tehran_time import to_ascii_digits

from peyvand_gateway.adapters.backends import BackendError, Backends, call
from peyvand_gateway.service_layer.composition import Composed, Part, compose_async

# Tickets still in work: one ListTickets call with all three in ``statuses``.
OPEN_TICKET_STATUSES = ("new", "open", "pending_customer")
_SLA_ORDER = {"breached": 0, "warning": 1, "ok": 2}

# <branch code>-<Jalali year>-<sequence>, any dash, Persian or ASCII digits.
_POLICY_NUMBER = re.compile(r"^\d{3,6}[-‐–—_/]\d{4}[-‐–—_/]\d{1,9}$")


def looks_like_policy_number(query: str) -> bool:
    return bool(_POLICY_NUMBER.match(to_ascii_digits(query.strip())))


def search(backends: Backends, query: str, page_size: int, cursor: str) -> tuple[list[tuple[Any, str]], str]:
    """(customer message, matched_on) pairs and the next cursor."""
    if backends.policy is not None and looks_like_policy_number(query):
        try:
            found = call("policy", backends.policy.stub.GetPolicyByNumber, policy_pb2.GetPolicyByNumberRequest(policy_number=to_ascii_digits(query.strip())))
        except BackendError as exc:
            if exc.details.status_code.name != "NOT_FOUND":
                raise
            return [], ""
        holder = call("customer", backends.customer.stub.GetCustomer, customer_pb2.GetCustomerRequest(customer_id=found.policy.holder_id))
        return [(holder.customer, "policy_number")], ""
    answer = call(
        "customer",
        backends.customer.stub.SearchCustomers,
        customer_pb2.SearchCustomersRequest(query=query, page=paging_pb2.PageRequest(page_size=page_size, page_token=cursor)),
    )
    return [(hit.customer, hit.matched_on) for hit in answer.hits], answer.page.next_page_token


def open_tickets(tickets: Any) -> list[Any]:
    """Those still in work (a ticketing service older than ``statuses`` answers every status)."""
    return [t for t in tickets if t.status in OPEN_TICKET_STATUSES]


def by_sla_urgency(tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Breached first, then warning, then ok; earliest resolution due first within each."""
    return sorted(tickets, key=lambda t: (_SLA_ORDER.get(t.get("sla_state", ""), 3), (t.get("resolution_due") or {}).get("utc") or "~"))


async def customer_360(
    backends: Backends, customer_id: str, deadline_seconds: float, *presenters: Callable[[Any], Any], **sizes: int
) -> Composed:
    """The 360° view, composed on the event loop (an ``async`` endpoint: no worker thread)."""
    return await compose_async(customer_360_parts(backends, customer_id, *presenters, **sizes), deadline_seconds)


def customer_360_parts(
    backends: Backends,
    customer_id: str,
    present_customer: Callable[[Any], Any],
    present_policy: Callable[[Any], Any],
    present_entry: Callable[[Any], Any],
    present_ticket: Callable[[Any], Any] = lambda t: t,
    present_delivery: Callable[[Any], Any] = lambda d: d,
    timeline_size: int = 10,
    tickets_size: int = 20,
    messages_size: int = 10,
) -> list[Part]:
    """Profile and timeline (customer, one call), policies (policy), open tickets with their SLA
    state (ticketing) and recent campaign messages (campaign): started at once, answered within
    one deadline."""
    customer_stub = backends.customer.stub
    parts = [
        Part(
            "profile",
            "customer",
            lambda t: customer_stub.GetCustomer.future(customer_pb2.GetCustomerRequest(customer_id=customer_id, timeline_page_size=timeline_size), timeout=t),
            lambda r: present_customer(r.customer),
            also=(("timeline", lambda r: [present_entry(e) for e in r.timeline]),),
        ),
    ]
    if backends.policy is not None:
        policy_stub = backends.policy.stub
        parts.append(
            Part(
                "policies",
                "policy",
                lambda t: policy_stub.ListPolicies.future(
                    policy_pb2.ListPoliciesRequest(customer_id=customer_id, page=paging_pb2.PageRequest(page_size=50)), timeout=t
                ),
                lambda r: [present_policy(p) for p in r.policies],
            )
        )
    if backends.ticketing is not None:
        ticketing_stub = backends.ticketing.stub
        request = ticketing_pb2.ListTicketsRequest(
            customer_id=customer_id, statuses=OPEN_TICKET_STATUSES, page=paging_pb2.PageRequest(page_size=tickets_size)
        )
        parts.append(
            Part(
                "tickets",
                "ticketing",
                lambda t: ticketing_stub.ListTickets.future(request, timeout=t),
                lambda r: by_sla_urgency([present_ticket(x) for x in open_tickets(r.tickets)])[:tickets_size],
            )
        )
    if backends.campaign is not None:
        campaign_stub = backends.campaign.stub
        parts.append(
            Part(
                "messages",
                "campaign",
                lambda t: campaign_stub.ListCustomerDeliveries.future(
                    campaign_pb2.ListCustomerDeliveriesRequest(customer_id=customer_id, page_size=messages_size), timeout=t
                ),
                lambda r: [present_delivery(d) for d in r.deliveries],
                when_not_found=list,  # campaign has not heard of this customer yet: no messages
            )
        )
    return parts
