"""Payloads of the events a Policy records, kept apart so the aggregate reads as its rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .products import product_names
from .quote import Quote
from .renewal import iso_utc

if TYPE_CHECKING:  # policy.py imports this module
    from .policy import Policy


def refs(policy: Policy) -> dict[str, Any]:
    """Who and what every policy event is about: enough to route it without a lookup."""
    return {
        "policy_id": policy.id,
        "policy_number": policy.policy_number,
        "product_code": policy.product_code,
        **product_names(policy.product_code),
        "holder_id": policy.holder_id,
        "agent_id": policy.agent_id,
        "branch_code": policy.branch_code,
    }


def snapshot(policy: Policy) -> dict[str, Any]:
    """The full state of a term (``policy.issued``)."""
    return {
        **refs(policy),
        "insured_ids": list(policy.insured_ids),
        "inputs": dict(policy.inputs),
        "term_start": policy.term_start.isoformat(),
        "term_end": policy.term_end.isoformat(),
        "expires_at": iso_utc(policy.expires_at),
        "premium": policy.premium,
        "vat_permille": policy.vat_permille,
        "vat": policy.premium * policy.vat_permille // 1000,  # exact: priced premiums are whole thousands
        "premium_charged": policy.premium_charged,
        "coverages": [c.to_dict() for c in policy.coverages],
        "status": policy.status,
        "quote_id": policy.quote_id,
        "issued_on": policy.issued_on.isoformat(),
        "renewal_of": policy.renewal_of,
        "renewed_by": policy.renewed_by,
    }


def renewed_payload(old: Policy, new: Policy, quote: Quote) -> dict[str, Any]:
    """``policy.renewed``, recorded on the old term: both ids, the holder and the new term's price."""
    return {
        "old_policy_id": old.id,
        "old_policy_number": old.policy_number,
        "new_policy_id": new.id,
        "new_policy_number": new.policy_number,
        "holder_id": new.holder_id,
        "insured_ids": list(new.insured_ids),
        "agent_id": new.agent_id,
        "branch_code": new.branch_code,
        "product_code": new.product_code,
        **product_names(new.product_code),
        "new_term_start": new.term_start.isoformat(),
        "new_term_end": new.term_end.isoformat(),
        "premium": new.premium,
        "total_premium": quote.premium.total,
        "quote_id": quote.id,
    }
