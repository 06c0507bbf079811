"""Prometheus metrics of the campaign service (bounded labels only, never ids or contact data)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter("peyvand_campaign_messages_total", "Messages by channel and outcome", ["channel", "status"])
JOURNEYS = Counter("peyvand_campaign_journeys_total", "Journeys by kind and outcome", ["kind", "outcome"])
OPT_OUTS = Counter("peyvand_campaign_opt_outs_total", "Opt-outs received, by channel", ["channel"])
QUIET_HOURS_WAITING = Gauge("peyvand_campaign_quiet_hours_waiting", "Queued messages held back by quiet hours")
SENDER_ERRORS = Counter("peyvand_campaign_sender_errors_total", "Provider errors by provider and channel", ["provider", "channel"])
SEND_SECONDS = Histogram("peyvand_campaign_send_seconds", "Time a provider took to accept a message", ["channel"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
JOB_LAST_SUCCESS = Gauge("peyvand_campaign_scheduler_last_success_timestamp_seconds", "When the scheduler tick last finished")
