"""The gateway's Prometheus metrics (bounded labels only: route templates, never raw paths)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests answered, by route template, method and status", ["route", "method", "status"])
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1, 2.5, 5, 10),
)
LOGINS = Counter("peyvand_gateway_logins_total", "Sign-in attempts by outcome", ["outcome"])
DEGRADED = Counter("peyvand_gateway_degraded_answers_total", "Composed answers missing a part, by the backend that failed", ["missing_service"])
ADMISSION_IN_FLIGHT = Gauge("peyvand_gateway_requests_in_flight", "API requests inside the application now (admitted, not yet answered)")
ADMISSION_WAITING = Gauge("peyvand_gateway_requests_waiting", "API requests waiting for admission now")
SHED_REQUESTS = Counter("peyvand_gateway_shed_requests_total", "API requests refused with 503 OVERLOADED, by reason", ["reason"])
SYNC_ITEMS = Counter("peyvand_gateway_sync_items_total", "Offline-sync items pushed by the app, by outcome", ["outcome"])

for _outcome in ("ok", "failed", "locked"):
    LOGINS.labels(_outcome)
for _reason in ("queue_full", "wait_timeout"):
    SHED_REQUESTS.labels(_reason)
for _outcome in ("applied", "duplicate", "rejected", "conflict"):
    SYNC_ITEMS.labels(_outcome)
