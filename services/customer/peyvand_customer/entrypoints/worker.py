"""The customer service's event handlers: timeline entries from other services' facts, and the parties gauge."""

from __future__ import annotations

import logging
import time

from nameko.timer import timer
from peyvand_runtime.consumer import on_event
from peyvand_runtime.envelope import Envelope
from prometheus_client import Histogram

from peyvand_customer.entrypoints import worker_deps
from peyvand_customer.service_layer import gauges, timeline

log = logging.getLogger(__name__)
GAUGE_SECONDS = Histogram("peyvand_customer_parties_refresh_seconds", "Time the parties-by-role aggregation took", buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120))


def _apply(envelope: Envelope) -> None:
    timeline.apply_event(worker_deps.database(), envelope.event_id, envelope.type, envelope.occurred_at, envelope.producer, envelope.payload)


class CustomerWorker:
    name = "customer"

    @on_event("policy", "policy.issued")
    def handle_policy_issued(self, envelope: Envelope) -> None:
        _apply(envelope)

    @on_event("policy", "policy.renewed")
    def handle_policy_renewed(self, envelope: Envelope) -> None:
        _apply(envelope)

    @on_event("policy", "policy.lapsed")
    def handle_policy_lapsed(self, envelope: Envelope) -> None:
        _apply(envelope)

    @on_event("policy", "policy.cancelled")
    def handle_policy_cancelled(self, envelope: Envelope) -> None:
        _apply(envelope)

    @on_event("ticketing", "ticket.opened")
    def handle_ticket_opened(self, envelope: Envelope) -> None:
        _apply(envelope)

    @on_event("ticketing", "ticket.resolved")
    def handle_ticket_resolved(self, envelope: Envelope) -> None:
        _apply(envelope)

    @on_event("campaign", "campaign.message_sent")
    def handle_message_sent(self, envelope: Envelope) -> None:
        _apply(envelope)

    @timer(interval=worker_deps.gauge_interval())
    def refresh_parties_gauge(self) -> None:
        """One $unwind/$group over the book every few minutes (never count_documents per request)."""
        started = time.monotonic()
        try:
            gauges.refresh_parties_gauge(worker_deps.database())
        except Exception:  # noqa: BLE001 - a failed refresh keeps the last values
            log.warning("could not refresh the parties gauge")
        GAUGE_SECONDS.observe(time.monotonic() - started)
