"""Renewing a policy from its renewal quote, and finishing a renewal a crash left half done.

A renewal changes two policies and a quote, and the embedded store has no usable
multi-document transaction (uncommitted writes leak), so the writes are ordered to make
every crash point recoverable, and every step is idempotent:

1. insert the new term, with ``renewal_of`` = the old policy and an id derived from the
   renewal quote id (``pol_`` + the quote's ULID) — its ``policy.issued`` is in the same
   write. A re-run finds it by that id instead of issuing a second term (a duplicate key
   stops a racing twin).
2. compare-and-set the old policy to ``renewed`` (``renewed_by``, ``policy.renewed``).
3. mark the quote used.

A crash after 1 leaves an active old policy with a stored successor. Whoever looks next
finishes the job: a retried ``RenewPolicy`` (same quote), or the lapse job, which never
lapses a policy that has a successor — it completes the renewal instead (``finish``).
A crash after 2 leaves an open quote, closed by the next retry. A policy number taken in
step 1 by an attempt that then lost the race stays unused (numbers may have gaps).
"""

from __future__ import annotations

from peyvand_runtime.domain import InvalidTransition, ValidationError, VersionConflict
from pymongo.errors import DuplicateKeyError

from peyvand_policy.adapters.numbers import next_policy_number
from peyvand_policy.domain.policy import Policy
from peyvand_policy.service_layer import metrics
from peyvand_policy.service_layer.context import PolicyServices, actor, policy_id_for_quote
from peyvand_policy.service_layer.policies import _check_version, _finish_quote
from peyvand_policy.service_layer.scope import visible_policy

ATTEMPTS = 3


def renew_policy(services: PolicyServices, policy_id: str, quote_id: str, expected_version: int = 0) -> tuple[Policy, Policy]:
    """Issue the next term from the renewal quote; returns (old, new). Idempotent per quote."""
    old = visible_policy(services, policy_id)
    quote = services.quotes.get(quote_id) if quote_id else None
    if quote is None or quote.renewal_of != old.id:
        raise ValidationError.single("quote_id", "is not a renewal quote for this policy")
    new_id = policy_id_for_quote(quote.id)
    stored = services.policies.get(new_id)
    if stored is not None:  # a retry, or a renewal a crash left half done
        return finish(services, old, stored), stored
    _check_version(old, expected_version, required=False)
    today, now = services.today(), services.now()
    new = old.renew(quote, next_policy_number(services.database, old.branch_code, today), today, actor(), at=now,
                    new_policy_id=new_id)
    try:
        services.policies.add(new, now)  # step 1
    except DuplicateKeyError:
        stored = services.policies.get(new_id)
        if stored is None:
            raise
        return finish(services, services.policies.get(old.id) or old, stored), stored
    metrics.ISSUED.labels(new.product_code, "renewal").inc()
    try:
        services.policies.save(old, now)  # step 2
    except VersionConflict:  # changed meanwhile: reload and finish (counts the renewal)
        return finish(services, services.policies.get(old.id) or old, new), new
    _finish_quote(services, new)  # step 3
    metrics.RENEWED.labels(old.product_code).inc()
    return old, new


def finish(services: PolicyServices, old: Policy, new: Policy) -> Policy:
    """Steps 2 and 3 for a stored successor ``new`` (idempotent); returns the old policy."""
    for _ in range(ATTEMPTS):
        if old.status == "renewed" and old.renewed_by == new.id:
            _finish_quote(services, new)
            return old
        if old.status != "active":
            raise InvalidTransition(f"cannot renew a policy that is {old.status}", code="POLICY_INVALID_TRANSITION",
                                    metadata={"policy_id": old.id, "status": old.status})
        quote = services.quotes.get(new.quote_id)
        if quote is None:
            raise ValidationError.single("quote_id", "the renewal quote is missing")
        old.mark_renewed(new, quote, services.today(), actor(), at=services.now())
        try:
            services.policies.save(old, services.now())
        except VersionConflict:
            reloaded = services.policies.get(old.id)
            if reloaded is None:
                raise
            old = reloaded
            continue
        _finish_quote(services, new)
        metrics.RENEWED.labels(old.product_code).inc()
        return old
    raise VersionConflict("the policy kept changing while the renewal was finished; try again")
