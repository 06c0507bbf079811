"""The campaign service's event handlers: projections in, journeys started, advanced and stopped."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand_runtime.consumer import on_event, on_event_batch
from peyvand_runtime.domain import ValidationError
from peyvand_runtime.envelope import Envelope
from peyvand_runtime.tehran_time import tehran_date

from peyvand_campaign.adapters import projections
from peyvand_campaign.entrypoints import worker_deps as deps
from peyvand_campaign.service_layer import campaigns, journeys, renewal_batch

# renewal_due events per batch (capped by CONSUMER_PREFETCH: unacked messages stop arriving beyond it).
RENEWAL_BATCH = 500


def _require(payload: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if not payload.get(name)]
    if missing:
        raise ValidationError.single(missing[0], "missing in event payload")


def _occurred(envelope: Envelope) -> dt.datetime:
    return dt.datetime.fromisoformat(envelope.occurred_at.replace("Z", "+00:00"))


class CampaignWorker:
    name = "campaign"

    # -- customers -------------------------------------------------------------------------
    @on_event("customer", "customer.created")
    def handle_customer_created(self, envelope: Envelope) -> None:
        payload = envelope.payload.get("customer") or envelope.payload
        _require(payload, "customer_id")
        projections.apply_customer(deps.database(), envelope.payload, tehran_date(deps.now()))

    @on_event("customer", "customer.updated")
    def handle_customer_updated(self, envelope: Envelope) -> None:
        payload = envelope.payload.get("customer") or envelope.payload
        _require(payload, "customer_id")
        projections.apply_customer(deps.database(), envelope.payload, tehran_date(deps.now()))

    @on_event("customer", "customer.consent_changed")
    def handle_consent_changed(self, envelope: Envelope) -> None:
        _require(envelope.payload, "customer_id", "channel", "purpose")
        projections.apply_consent(deps.database(), envelope.payload)

    @on_event("customer", "customer.assigned")
    def handle_customer_assigned(self, envelope: Envelope) -> None:
        _require(envelope.payload, "customer_id")
        projections.apply_assignment(deps.database(), envelope.payload)

    @on_event("customer", "customer.merged")
    def handle_customer_merged(self, envelope: Envelope) -> None:
        _require(envelope.payload, "survivor_id", "merged_id")
        journeys.customer_merged(deps.database(), envelope.payload["merged_id"], envelope.payload["survivor_id"], deps.now())

    # -- policies --------------------------------------------------------------------------
    @on_event("policy", "policy.issued")
    def handle_policy_issued(self, envelope: Envelope) -> None:
        _require(envelope.payload, "policy_id", "holder_id")
        projections.apply_policy(deps.database(), envelope.payload, envelope.payload.get("status") or "active", tehran_date(deps.now()))
        campaigns.record_broadcast_conversion(deps.database(), envelope.payload["holder_id"], _occurred(envelope))

    # Batched (group commit): ~80,000 notices arrive at once around a renewal run (issue #7).
    # Same method name as the one-by-one handler had, so the queue stays the same.
    # No inbox: a redelivered notice re-plans a step whose deliveries the unique dedup key
    # refuses and whose journey already records it (renewal_batch, ADR 0013), so the inbox's
    # look-up and record (two store calls a batch, an insert per notice) bought nothing here.
    @on_event_batch("policy", "policy.renewal_due", max_batch=RENEWAL_BATCH, inbox=False)
    def handle_renewal_due(self, envelopes: list[Envelope]) -> dict[str, Exception]:
        events = [(envelope.event_id, envelope.payload) for envelope in envelopes]
        return renewal_batch.renewal_due_batch(deps.database(), events, deps.now(), deps.config())

    @on_event("policy", "policy.renewed")
    def handle_policy_renewed(self, envelope: Envelope) -> None:
        self._outcome(envelope)

    @on_event("policy", "policy.cancelled")
    def handle_policy_cancelled(self, envelope: Envelope) -> None:
        self._outcome(envelope)

    @on_event("policy", "policy.lapsed")
    def handle_policy_lapsed(self, envelope: Envelope) -> None:
        self._outcome(envelope)

    def _outcome(self, envelope: Envelope) -> None:
        if not (envelope.payload.get("old_policy_id") or envelope.payload.get("policy_id")):
            raise ValidationError.single("policy_id", "missing in event payload")
        journeys.policy_outcome(deps.database(), envelope.type, envelope.payload, _occurred(envelope), deps.now(), deps.config())

    # -- tickets and the organisation -----------------------------------------------------------
    @on_event("ticketing", "ticket.resolved")
    def handle_ticket_resolved(self, envelope: Envelope) -> None:
        _require(envelope.payload, "ticket_id", "customer_id")
        journeys.ticket_resolved(deps.database(), envelope.payload, deps.now(), deps.config())

    @on_event("gateway", "org.agent_changed")
    def handle_agent_changed(self, envelope: Envelope) -> None:
        _require(envelope.payload, "agent_id")
        projections.apply_agent(deps.database(), envelope.payload)
