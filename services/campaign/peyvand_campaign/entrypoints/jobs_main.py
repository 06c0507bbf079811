"""``python -m peyvand_campaign.entrypoints.jobs_main``: delivery senders and the campaign scheduler.

- Sender threads (every replica): claim due deliveries and send them (claims, not the lease,
  keep two senders off one message; a dead sender's claims expire and are retaken).
- Scheduler (one replica, under the lease ``job:campaign-scheduler``): starts due broadcasts and
  expands their segment into deliveries, plans day-counted journey windows once per Tehran
  day, polls SMS delivery reports and refreshes the quiet-hours gauge.

    --once            one scheduler tick and drain what is due, then exit
    --as-of DATE      (with --once) plan journey windows as of that Tehran date
    --now INSTANT     PEYVAND_ENV=test only: start the clock at INSTANT
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import threading
import time
from typing import Any

from peyvand_runtime import identity, logs, store
from peyvand_runtime.lease import Lease, holder_name, mark_tick_done, tick_done
from peyvand_runtime.metrics_http import start_metrics_server
from peyvand_runtime.tehran_time import TEHRAN, UTC, tehran_date
from pymongo.database import Database

from peyvand_campaign import metrics
from peyvand_campaign.adapters import catalogue_repo, deliveries_repo
from peyvand_campaign.adapters.collections import DELIVERIES, ensure_indexes
from peyvand_campaign.adapters.deliveries_repo import NEVER_MS, epoch_ms
from peyvand_campaign.adapters.senders.factory import build_senders
from peyvand_campaign.adapters.senders.kavenegar import DELIVERED_STATUSES, UNDELIVERED_STATUSES, KavenegarSmsSender
from peyvand_campaign.clock import Clock, make_clock
from peyvand_campaign.service_layer import campaigns, journeys, sending
from peyvand_campaign.service_layer.rendering import LinkConfig
from peyvand_campaign.settings import CampaignJobSettings

log = logging.getLogger(__name__)
JOB = "campaign-scheduler"
# One-off: SMS sent before report checks were kept per message get one (deliveries_repo.start_report_checks).
REPORT_CHECKS_JOB, REPORT_CHECKS_TICK = "campaign-report-checks", "per-message-v1"


class CampaignJobs:
    def __init__(self, settings: CampaignJobSettings, db: Database, clock: Clock) -> None:
        self.settings, self.db, self.clock = settings, db, clock
        self.stopping = threading.Event()
        self.holder = holder_name("campaign-jobs")
        self.senders = build_senders(settings)
        rates = {"sms": settings.sms_rate_per_second, "email": settings.email_rate_per_second, "push": settings.push_rate_per_second}
        self.ctx = sending.SendContext(
            db=db, senders=self.senders, buckets={c: sending.TokenBucket(r) for c, r in rates.items()},
            links=LinkConfig(settings.public_base_url, settings.unsubscribe_secret, settings.call_center_name, settings.call_center_phone),
            holder=self.holder, claim_for=dt.timedelta(seconds=settings.sender_claim_seconds),
            backoff=settings.backoff_schedule(), clock=clock.now, batch_size=settings.sender_batch_size)
        self.journey_cfg = journeys.JourneyConfig(settings.marketing_weekly_cap, settings.public_base_url)
        self.lease = Lease(db, f"job:{JOB}", self.holder, settings.lease_seconds, clock=clock.now)
        self.last_reports = 0.0

    # -- senders ---------------------------------------------------------------------------
    def drain(self) -> int:
        handled = 0
        while not self.stopping.is_set():
            try:
                outcomes = sending.send_batch(self.ctx)
            except Exception:
                log.exception("sending deliveries failed unexpectedly; their claims expire and they are retried")
                self.stopping.wait(1)
                continue
            if not outcomes:
                return handled
            handled += len(outcomes)
        return handled

    def sender_loop(self) -> None:
        with identity.bound(identity.service_caller("campaign-jobs")):
            while not self.stopping.is_set():
                if self.drain() == 0:
                    self.stopping.wait(self.settings.sender_idle_sleep_seconds)

    # -- scheduler -------------------------------------------------------------------------
    def scheduler_tick(self, as_of: dt.date | None = None) -> dict[str, Any]:
        now = self.clock.now()
        if as_of is not None:
            now = dt.datetime.combine(as_of, dt.time(12, 0), TEHRAN).astimezone(UTC)
        summary: dict[str, Any] = {"broadcasts": campaigns.broadcast_tick(self.db, now, self.settings.broadcast_page_size,
                                                                         self.settings.marketing_weekly_cap)}
        day = tehran_date(now).isoformat()
        if as_of is not None or not tick_done(self.db, "campaign-journeys", day):
            summary["journeys"] = journeys.daily_tick(self.db, now, self.journey_cfg)
            mark_tick_done(self.db, "campaign-journeys", day, summary["journeys"])
        if time.monotonic() - self.last_reports >= self.settings.report_poll_seconds:
            summary["reports"] = self.poll_reports()
            self.last_reports = time.monotonic()
        # Range on the due_ms index (only queued deliveries have a due_ms below NEVER_MS): a filter
        # on status would read every queued delivery on nx-27017 (the status index), each tick.
        waiting = self.db[DELIVERIES].find({"due_ms": {"$gt": epoch_ms(now), "$lt": NEVER_MS}}, {"status": 1, "waiting_for": 1})
        metrics.QUIET_HOURS_WAITING.set(sum(1 for d in waiting if d.get("status") == "queued" and d.get("waiting_for") == "quiet_hours"))
        metrics.JOB_LAST_SUCCESS.set(time.time())
        return summary

    def poll_reports(self) -> int:
        """Delivery reports of sent SMS, each message asked about on its own schedule
        (``domain.delivery_reports``); returns the final reports recorded."""
        sms = self.senders.get("sms")
        if not isinstance(sms, KavenegarSmsSender):
            return 0
        now = self.ctx.clock()
        give_up_after = dt.timedelta(hours=self.settings.sms_report_give_up_hours)
        if not tick_done(self.db, REPORT_CHECKS_JOB, REPORT_CHECKS_TICK):
            started = deliveries_repo.start_report_checks(self.db, now, now - give_up_after)
            mark_tick_done(self.db, REPORT_CHECKS_JOB, REPORT_CHECKS_TICK, {"started": started})
        try:
            poll = sending.poll_sms_reports(self.ctx, sms.statuses, DELIVERED_STATUSES, UNDELIVERED_STATUSES,
                                            dt.timedelta(seconds=self.settings.report_poll_seconds), give_up_after)
        except Exception as exc:  # reports are best effort; the messages stay due and the next poll asks again
            log.warning("delivery report poll failed", extra={"error": type(exc).__name__})
            return 0
        if poll.asked:
            log.info("delivery reports polled", extra={"asked": poll.asked, "applied": poll.applied, "waiting": poll.waiting,
                                                        "given_up": poll.given_up})
        return poll.applied

    def scheduler_loop(self) -> None:
        with identity.bound(identity.service_caller("campaign-jobs")):
            while not self.stopping.is_set():
                try:
                    if self.lease.acquire():
                        summary = self.scheduler_tick()
                        log.debug("scheduler tick", extra={"summary": str(summary)})
                except Exception:
                    log.exception("scheduler tick failed; retrying next interval")
                self.stopping.wait(self.settings.job_interval_seconds)
            self.lease.release()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--as-of", type=dt.date.fromisoformat)
    parser.add_argument("--now", default="")
    args = parser.parse_args(argv)
    settings = CampaignJobSettings()
    logs.configure("campaign-jobs", settings.log_level)
    clock = make_clock(settings.peyvand_env, args.now or settings.campaign_test_now)
    db = store.connect("campaign", settings)
    ensure_indexes(db)
    catalogue_repo.seed_builtin_templates(db)
    jobs = CampaignJobs(settings, db, clock)
    if args.once:
        with identity.bound(identity.service_caller("campaign-jobs")):
            print(jobs.scheduler_tick(args.as_of), flush=True)
            print({"handled": jobs.drain()}, flush=True)
        return
    server, _ = start_metrics_server(settings.metrics_port, readiness=lambda: store.store_is_reachable(db))

    def _stop(_signum: int, _frame: Any) -> None:
        jobs.stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    threads = [threading.Thread(target=jobs.scheduler_loop, name="scheduler", daemon=True)]
    threads += [threading.Thread(target=jobs.sender_loop, name=f"sender-{i}", daemon=True) for i in range(settings.sender_threads)]
    for thread in threads:
        thread.start()
    log.info("campaign jobs running", extra={"senders": settings.sender_threads, "fake_clock": clock.is_fake})
    while not jobs.stopping.wait(0.5):
        pass
    for thread in threads:
        thread.join(10)
    for sender in jobs.senders.values():
        sender.close()
    server.stop()


if __name__ == "__main__":
    main()
