"""Use cases for the catalogue and quotes: price a product for a customer, read a quote."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from peyvand_runtime.domain import ValidationError, Violations

from peyvand_policy.domain.products import PRODUCTS
from peyvand_policy.domain.quote import Quote
from peyvand_policy.domain.rating import term_end_for
from peyvand_policy.service_layer import metrics
from peyvand_policy.service_layer.context import PolicyServices, policy_id_for_quote
from peyvand_policy.service_layer.scope import owner_for_new_business, require_visible_customers, visible_quote


@dataclass(frozen=True)
class CreateQuote:
    product_code: str
    holder_id: str
    insured_ids: Sequence[str] = ()
    agent_id: str = ""
    branch_code: str = ""
    inputs: Mapping[str, Any] = field(default_factory=dict)
    term_start: dt.date | None = None
    term_end: dt.date | None = None
    term_days: int | None = None


def create_quote(services: PolicyServices, command: CreateQuote) -> Quote:
    """Price and store an open quote; the same inputs and term always give the same premium."""
    product = PRODUCTS.get((command.product_code or "").strip())
    if product is None:
        raise ValidationError.single("product_code", "is not a product on sale")
    agent_id, branch_code = owner_for_new_business(command.agent_id, command.branch_code)
    require_visible_customers(services, (command.holder_id, *command.insured_ids))
    today = services.today()
    start = command.term_start or today
    end = command.term_end
    if end is None:
        if product.term.unit == "months":
            end = term_end_for(product, start)
        elif command.term_days:
            if command.term_days < 1:
                raise ValidationError.single("term_days", "must be at least one day")
            end = term_end_for(product, start, command.term_days)
        else:
            violations = Violations()
            violations.add("term_end", "is required for this product (or give term_days)")
            violations.raise_if_any()
    insured = tuple(command.insured_ids) or (command.holder_id,)
    quote = Quote.create(
        product=product, holder_id=command.holder_id, insured_ids=insured, agent_id=agent_id, branch_code=branch_code,
        inputs=command.inputs, term_start=start, term_end=end, today=today,  # type: ignore[arg-type]
    )
    services.new_quotes.add(quote, services.now())  # group commit with concurrent CreateQuote calls
    metrics.QUOTES.labels(product.code, "new").inc()
    return quote


def get_quote(services: PolicyServices, quote_id: str) -> Quote:
    return quote_issue_state(services, visible_quote(services, quote_id))


def quote_issue_state(services: PolicyServices, quote: Quote) -> Quote:
    """A new-business quote as callers see it: ``used`` by its policy once that policy exists (the
    issue writes only the policy; see ``issue_policy``). Renewal quotes carry their own mark."""
    if quote.status == "open" and quote.renewal_of is None:
        policy_id = policy_id_for_quote(quote.id)
        if services.policies.collection.find_one({"_id": policy_id}, {"_id": 1}) is not None:
            quote.status, quote.policy_id = "used", policy_id
    return quote
