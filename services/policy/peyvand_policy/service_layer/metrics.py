"""The policy service's Prometheus metrics (bounded labels only: product, status, window, job)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

QUOTES = Counter("peyvand_policy_quotes_total", "Quotes priced", ["product", "kind"])
ISSUED = Counter("peyvand_policy_issued_total", "Policies issued (new business and renewals)", ["product", "kind"])
ENDORSED = Counter("peyvand_policy_endorsements_total", "Endorsements made", ["product"])
RENEWED = Counter("peyvand_policy_renewals_total", "Terms renewed", ["product"])
LAPSED = Counter("peyvand_policy_lapses_total", "Terms lapsed without renewal", ["product"])
CANCELLED = Counter("peyvand_policy_cancellations_total", "Policies cancelled", ["product"])
REPOINTED = Counter("peyvand_policy_customer_repoints_total", "Policies re-pointed after a customer merge")

POLICIES = Gauge("peyvand_policy_policies", "Stored policies by status and product (refreshed by the jobs process)", ["status", "product"])
POLICIES_REFRESH_SECONDS = Gauge("peyvand_policy_policies_refresh_duration_seconds", "Time the last policies-by-status aggregate took")

RENEWAL_NOTICES = Counter("peyvand_policy_renewal_notices_total", "policy.renewal_due notices emitted", ["window"])
RENEWAL_SCANNED = Counter("peyvand_policy_renewal_scanned_total", "Policies the renewal job looked at")
RENEWAL_CONFLICTS = Counter("peyvand_policy_renewal_conflicts_total", "Notices lost to a concurrent write (reloaded and re-decided)")
JOB_ERRORS = Counter("peyvand_policy_job_errors_total", "Policies a job could not process (left for the next run)", ["job"])

RENEWAL_LAST_SUCCESS = Gauge("peyvand_policy_renewal_last_success_timestamp_seconds", "When the renewal job last finished a run")
RENEWAL_LAST_SCANNED = Gauge("peyvand_policy_renewal_last_run_scanned", "Policies scanned by the renewal job so far in its current or last run")
RENEWAL_LAST_EMITTED = Gauge("peyvand_policy_renewal_last_run_notices", "Notices emitted by the current or last renewal run")
RENEWAL_LAST_DURATION = Gauge("peyvand_policy_renewal_last_run_duration_seconds", "Duration of the last finished renewal run")
LAPSE_LAST_SUCCESS = Gauge("peyvand_policy_lapse_last_success_timestamp_seconds", "When the lapse job last finished a run")
LAPSE_LAST_DURATION = Gauge("peyvand_policy_lapse_last_run_duration_seconds", "Duration of the last finished lapse run")
LAPSE_LAST_LAPSED = Gauge("peyvand_policy_lapse_last_run_lapsed", "Policies lapsed by the last lapse run")
