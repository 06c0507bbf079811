"""Campaign settings: the spine's per-process settings plus channels, opt-out links and timing."""

from __future__ import annotations

import datetime as dt

from peyvand_runtime.settings import GrpcServerSettings, JobSettings, ProcessSettings, WorkerSettings


class CampaignSettings(ProcessSettings):
    # SMS over a Kavenegar-style HTTP API (the fake provider in tests and `make run`).
    sms_base_url: str = "http://127.0.0.1:9450"
    sms_api_key: str = "dev-api-key"
    sms_sender_line: str = "10008663"
    sms_timeout_seconds: float = 5.0
    sms_rate_per_second: float = 50.0
    # Email over SMTP.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    email_from: str = "Peyvand <no-reply@peyvand.example>"
    email_rate_per_second: float = 20.0
    # Push over an FCM-style HTTP API; empty URL = log-only NullPushSender.
    push_base_url: str = ""
    push_project: str = "peyvand"
    push_token: str = "dev-push-token"
    push_rate_per_second: float = 50.0
    # One-click unsubscribe links (gateway's public /u/{token}) and survey links.
    unsubscribe_secret: str = "dev-unsubscribe-secret"
    public_base_url: str = "http://127.0.0.1:8000"
    unsubscribe_mailto: str = "unsubscribe@peyvand.example"
    call_center_name: str = "مرکز تماس"
    call_center_phone: str = "021-00000000"
    # Sender loop.
    sender_threads: int = 4
    # Deliveries claimed per store round trip; each must be sent within sender_claim_seconds.
    sender_batch_size: int = 100
    sender_claim_seconds: float = 60.0
    sender_idle_sleep_seconds: float = 0.2
    delivery_backoff_seconds: str = "30,120,600,3600"
    report_poll_seconds: float = 30.0
    # A sent SMS without a final delivery report is asked about again, less and less often, for
    # this long; then it stays ``sent`` with no report (domain.delivery_reports).
    sms_report_give_up_hours: float = 72.0
    marketing_weekly_cap: int = 3
    broadcast_page_size: int = 500
    customer_addr: str = "127.0.0.1:50051"
    # PEYVAND_ENV=test only: the process clock starts at this instant and runs on (quiet-hour tests).
    campaign_test_now: str = ""

    def backoff_schedule(self) -> tuple[dt.timedelta, ...]:
        return tuple(dt.timedelta(seconds=float(x)) for x in self.delivery_backoff_seconds.split(",") if x.strip())


class CampaignWorkerSettings(WorkerSettings, CampaignSettings):
    # ``policy.renewal_due`` arrives in bursts (~80,000 around a renewal run) and is applied in
    # batches of up to ``worker.RENEWAL_BATCH`` (500), capped by the prefetch: with the common
    # default of 64 a batch would hold 64. Twice the batch keeps the next one buffered while one
    # is written. This is the setting the campaign benchmark measures (issue #7).
    consumer_prefetch: int = 1000


class CampaignGrpcSettings(GrpcServerSettings, CampaignSettings):
    pass


class CampaignJobSettings(JobSettings, CampaignSettings):
    job_interval_seconds: float = 60.0
