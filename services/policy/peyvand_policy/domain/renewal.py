"""Renewal notices: the window due today, the daily scan's date range, renewal quotes and the notice payload."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from peyvand_runtime.domain import InvalidTransition
from peyvand_runtime.tehran_time import days_until, expiry_instant

from .lifecycle import next_status
from .product_model import Product
from .products import product_names
from .quote import Quote
from .rating import term_end_for

if TYPE_CHECKING:  # policy.py imports this module; the type is only needed for hints
    from .policy import Policy

# Days before expiry at which the holder and agent are reminded, in Tehran calendar days.
DEFAULT_WINDOWS: tuple[int, ...] = (45, 30, 15, 7, 1)


def _check_windows(windows: Collection[int]) -> None:
    if not windows or any(isinstance(w, bool) or not isinstance(w, int) or w < 0 for w in windows):
        raise ValueError("renewal windows are whole days, zero or more")


def due_window(
    term_end: dt.date, today: dt.date, windows: Collection[int] = DEFAULT_WINDOWS, emitted: Collection[int] = frozenset()
) -> int | None:
    """The notice window to send today for a term ending on ``term_end``, or None.

    ``days_left = term_end - today`` in Tehran days (0 on the last covered day). A window
    ``w`` is reached when ``days_left <= w``. After 24:00 Tehran on the end date
    (``days_left < 0``) nothing is due. Otherwise the latest reached window (the smallest)
    is due unless it or a smaller one was already sent: when a job missed several windows
    only the latest goes out, never a burst of stale reminders.
    """
    _check_windows(windows)
    days_left = days_until(term_end, today)
    if days_left < 0:
        return None
    reached = [w for w in windows if days_left <= w]
    if not reached:
        return None
    latest = min(reached)
    if any(sent <= latest for sent in emitted):
        return None
    return latest


def window_scan_range(today: dt.date, windows: Collection[int] = DEFAULT_WINDOWS) -> tuple[dt.date, dt.date]:
    """End dates (inclusive) a daily scan must load: ``[today, today + max(windows)]``."""
    _check_windows(windows)
    return today, today + dt.timedelta(days=max(windows))


def renewal_term(term_end: dt.date, product: Product) -> tuple[dt.date, dt.date]:
    """The next term: it starts the day after the old one ends, for the product's standard length."""
    start = term_end + dt.timedelta(days=1)
    return start, term_end_for(product, start)


def renewal_quote(
    policy: Policy,
    product: Product,
    today: dt.date,
    input_changes: Mapping[str, Any] | None = None,
    quote_id: str | None = None,
) -> Quote:
    """A quote for the next term of ``policy``, on its inputs with ``input_changes`` applied.

    The caller supplies what changed since issue (one more no-claims year, the insured's
    new age); the quote is valid until the old term's last day at the latest.
    """
    next_status(policy.status, "renew", policy.id)
    if not product.renewable or product.code != policy.product_code:
        raise InvalidTransition("this product is not renewed", code="POLICY_INVALID_TRANSITION",
                                metadata={"policy_id": policy.id, "product_code": product.code})
    start, end = renewal_term(policy.term_end, product)
    return Quote.create(
        product=product,
        holder_id=policy.holder_id,
        insured_ids=policy.insured_ids,
        agent_id=policy.agent_id,
        branch_code=policy.branch_code,
        inputs={**policy.inputs, **dict(input_changes or {})},
        term_start=start,
        term_end=end,
        today=today,
        renewal_of=policy.id,
        quote_id=quote_id,
    )


def iso_utc(instant: dt.datetime) -> str:
    """ISO-8601 UTC with ``Z``, as event payloads carry instants."""
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def renewal_due_payload(policy: Policy, window: int, quote: Quote) -> dict[str, Any]:
    """``policy.renewal_due``: everything a reminder (SMS, agent task) needs without a lookup."""
    return {
        "policy_id": policy.id,
        "policy_number": policy.policy_number,
        "holder_id": policy.holder_id,
        "agent_id": policy.agent_id,
        "branch_code": policy.branch_code,
        "product_code": policy.product_code,
        **product_names(policy.product_code),
        "term_end": policy.term_end.isoformat(),
        "days_before_expiry": window,
        "renewal_quote_id": quote.id,
        "renewal_premium": quote.premium.net,
        "renewal_total_premium": quote.premium.total,
        "renewal_quote_valid_until": quote.valid_until.isoformat(),
        "expires_at": iso_utc(expiry_instant(policy.term_end)),
    }
