"""Prometheus metrics of the ticketing service (bounded labels only: no ids except configured queue ids).

First-response and resolution times are BUSINESS seconds (the SLA clock: Tehran working
hours, holidays and customer-wait pauses excluded), the same measure the SLA targets use.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

BUSINESS_SECONDS_BUCKETS = (300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 16 * 3600, 24 * 3600, 40 * 3600, 80 * 3600, 120 * 3600)

TICKETS_OPENED = Counter("peyvand_ticketing_tickets_opened_total", "Tickets opened", ["type", "channel"])
OPEN_TICKETS = Gauge("peyvand_ticketing_open_tickets", "Open tickets (new/open/pending) by queue and SLA state", ["queue", "sla_state"])
FIRST_RESPONSE = Histogram("peyvand_ticketing_first_response_seconds", "Business seconds from opening to the first public reply", ["priority"], buckets=BUSINESS_SECONDS_BUCKETS)
RESOLUTION = Histogram("peyvand_ticketing_resolution_seconds", "Business seconds the SLA clock ran until resolution", ["priority"], buckets=BUSINESS_SECONDS_BUCKETS)
SLA_WARNINGS = Counter("peyvand_ticketing_sla_warnings_total", "SLA warnings announced", ["priority", "target"])
SLA_BREACHES = Counter("peyvand_ticketing_sla_breaches_total", "SLA breaches announced", ["priority", "target"])
REOPENS = Counter("peyvand_ticketing_reopens_total", "Tickets reopened after resolution")
SATISFACTION = Histogram("peyvand_ticketing_satisfaction_score", "Customer satisfaction scores (1..5)", buckets=(1, 2, 3, 4, 5))
SWEEP_LAST_SUCCESS = Gauge("peyvand_ticketing_sla_sweep_last_success_timestamp_seconds", "When the last SLA sweep finished")
SWEEP_DURATION = Histogram("peyvand_ticketing_sla_sweep_duration_seconds", "SLA sweep duration", buckets=(0.05, 0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120))
SWEEP_TICKETS = Counter("peyvand_ticketing_sla_sweep_tickets_total", "Tickets the SLA sweep evaluated, by outcome", ["outcome"])
GAUGE_REFRESH_DURATION = Histogram("peyvand_ticketing_open_tickets_refresh_seconds", "Time to recount open tickets by queue and SLA state", buckets=(0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30))
