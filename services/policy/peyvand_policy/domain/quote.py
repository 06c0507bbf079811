"""The Quote aggregate: a priced offer for a term, valid for a few Tehran days, used at most once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from peyvand_runtime.domain import Aggregate, InvalidTransition, Violations
from peyvand_runtime.ids import is_id, new_id

from .numbering import is_branch_code, normalise_branch_code
from .product_model import Product
from .rating import Premium, check_term, price

QUOTE_VALIDITY_DAYS = 15
QuoteStatus = Literal["open", "used", "expired"]


def quote_valid_until(today: dt.date, term_start: dt.date, renewal: bool) -> dt.date:
    """Last Tehran day on which the quote may be taken up (valid through 24:00 that day).

    ``today + 15`` days, but never so late that the cover would start in the past: a new
    business quote must be used by its term start; a renewal quote by the last day of the
    old term (its term starts the next day), so a renewal never leaves a backdated gap.
    """
    latest = term_start - dt.timedelta(days=1) if renewal else term_start
    return min(today + dt.timedelta(days=QUOTE_VALIDITY_DAYS), latest)


def check_parties(
    violations: Violations, holder_id: str, insured_ids: Sequence[str], agent_id: str, branch_code: str
) -> None:
    """Adds violations for malformed holder, insured, agent and branch references."""
    if not is_id(holder_id, "cus"):
        violations.add("holder_id", "must be a customer id")
    if not insured_ids:
        violations.add("insured_ids", "at least one insured customer is required")
    seen: set[str] = set()
    for index, insured in enumerate(insured_ids):
        if not is_id(insured, "cus"):
            violations.add(f"insured_ids[{index}]", "must be a customer id")
        elif insured in seen:
            violations.add(f"insured_ids[{index}]", "is listed twice")
        seen.add(insured)
    if not is_id(agent_id, "agt"):
        violations.add("agent_id", "must be an agent id")
    if not is_branch_code(branch_code):
        violations.add("branch_code", "must be 2 to 10 letters or digits")


@dataclass(kw_only=True)
class Quote(Aggregate):
    """A priced offer; ``renewal_of`` names the policy it would renew."""

    product_code: str
    holder_id: str
    insured_ids: tuple[str, ...]
    agent_id: str
    branch_code: str
    inputs: dict[str, Any]
    term_start: dt.date
    term_end: dt.date
    premium: Premium
    quoted_on: dt.date
    valid_until: dt.date
    renewal_of: str | None = None
    status: QuoteStatus = "open"
    policy_id: str | None = None

    @classmethod
    def create(
        cls,
        *,
        product: Product,
        holder_id: str,
        insured_ids: Sequence[str],
        agent_id: str,
        branch_code: str,
        inputs: Mapping[str, Any],
        term_start: dt.date,
        term_end: dt.date,
        today: dt.date,
        renewal_of: str | None = None,
        quote_id: str | None = None,
    ) -> Quote:
        """Price and open a quote, reporting every bad field at once; records ``policy.quoted``."""
        violations = Violations()
        check_parties(violations, holder_id, insured_ids, agent_id, branch_code)
        if renewal_of is not None and not is_id(renewal_of, "pol"):
            violations.add("renewal_of", "must be a policy id")
        if term_start < today:
            violations.add("term_start", "must not be in the past")
        check_term(product, term_start, term_end, violations)
        values = product.check_inputs(inputs, violations)
        if "insured_count" in values and values["insured_count"] != len(insured_ids):
            violations.add("inputs.insured_count", "must equal the number of insured_ids")
        violations.raise_if_any()

        premium = price(product, inputs, term_start, term_end)
        quote = cls(
            id=quote_id or new_id("qte"),
            product_code=product.code,
            holder_id=holder_id,
            insured_ids=tuple(insured_ids),
            agent_id=agent_id,
            branch_code=normalise_branch_code(branch_code),
            inputs=dict(premium.inputs),
            term_start=term_start,
            term_end=term_end,
            premium=premium,
            quoted_on=today,
            valid_until=quote_valid_until(today, term_start, renewal_of is not None),
            renewal_of=renewal_of,
        )
        quote.record("policy.quoted", quote.event_payload())
        return quote

    def is_valid(self, today: dt.date) -> bool:
        """Open and not past ``valid_until`` (a Tehran date, valid through 24:00 on it)."""
        return self.status == "open" and today <= self.valid_until

    def ensure_usable(self, today: dt.date) -> None:
        """Refuses a used quote (INVALID_TRANSITION) or an expired one (QUOTE_EXPIRED)."""
        if self.status == "used":
            raise InvalidTransition("the quote has already been used", metadata={"quote_id": self.id})
        if not self.is_valid(today):
            raise InvalidTransition("the quote has expired", code="QUOTE_EXPIRED", metadata={"quote_id": self.id})

    def mark_used(self, policy_id: str, today: dt.date) -> None:
        self.ensure_usable(today)
        self.status = "used"
        self.policy_id = policy_id

    def expire(self, today: dt.date) -> bool:
        """Close an open quote whose validity has passed; True when it changed (for a sweep job)."""
        if self.status != "open" or today <= self.valid_until:
            return False
        self.status = "expired"
        return True

    def event_payload(self) -> dict[str, Any]:
        return {
            "quote_id": self.id,
            "product_code": self.product_code,
            "holder_id": self.holder_id,
            "insured_ids": list(self.insured_ids),
            "agent_id": self.agent_id,
            "branch_code": self.branch_code,
            "term_start": self.term_start.isoformat(),
            "term_end": self.term_end.isoformat(),
            "net_premium": self.premium.net,
            "vat": self.premium.vat,
            "total_premium": self.premium.total,
            "valid_until": self.valid_until.isoformat(),
            "renewal_of": self.renewal_of,
        }
