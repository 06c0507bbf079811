"""Reacting to ``customer.merged``: the surviving customer id replaces the merged one on every policy."""

from __future__ import annotations

from peyvand_runtime.domain import VersionConflict

from peyvand_policy.service_layer import metrics
from peyvand_policy.service_layer.context import PolicyServices

ATTEMPTS = 5


def repoint_customer(services: PolicyServices, merged_id: str, survivor_id: str) -> int:
    """Re-point holder and insured ids; idempotent (a policy already re-pointed is left alone).

    Returns how many policies changed. A concurrent write makes us reload and retry; if a
    policy keeps changing the ``VersionConflict`` propagates and the event is retried.
    """
    changed = 0
    for policy_id in services.policies.ids_for_customer(merged_id):
        for attempt in range(ATTEMPTS):
            policy = services.policies.get(policy_id)
            if policy is None or not policy.repoint_customer(merged_id, survivor_id):
                break
            try:
                services.policies.save(policy, services.now())
            except VersionConflict:
                if attempt == ATTEMPTS - 1:
                    raise
                continue
            changed += 1
            metrics.REPOINTED.inc()
            break
    return changed
