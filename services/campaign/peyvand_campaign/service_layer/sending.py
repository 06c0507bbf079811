"""The sender loop's unit of work: claim one due delivery, re-check, render, send, record.

Never twice for one journey step: the dedup key made one delivery; a claim (``claimed_by`` /
``claimed_until_ms``) gives it to one sender at a time and expires if that sender dies; the
send carries the delivery id as the provider's client reference (Kavenegar ``localid``),
so a resend after "sent but not yet recorded" returns the first message instead of a second.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from peyvand_runtime.domain import VersionConflict
from pymongo.database import Database

from peyvand_campaign import metrics
from peyvand_campaign.adapters import catalogue_repo, deliveries_repo, journeys_repo, projections
from peyvand_campaign.adapters.collections import CAMPAIGNS, instant
from peyvand_campaign.adapters.senders.base import OutgoingMessage, Sender, SendError
from peyvand_campaign.domain.consent import may_send
from peyvand_campaign.domain.delivery import BACKOFF, Delivery
from peyvand_campaign.domain.quiet_hours import next_send_at, schedule_service_message
from peyvand_campaign.domain.templates import TemplateContextMissing, render
from peyvand_campaign.service_layer.rendering import LinkConfig, context_for

log = logging.getLogger(__name__)


class TokenBucket:
    """Per-channel rate limit inside one sender process (``rate`` messages/s, bursts of ``burst``)."""

    def __init__(self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self.tokens = self.capacity
        self.clock = clock
        self.updated = clock()
        self.lock = threading.Lock()

    def take(self) -> float:
        """Take a token; returns how long the caller must wait first (0 when one was free)."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= 1
            return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def acquire(self) -> None:
        wait = self.take()
        if wait > 0:
            time.sleep(wait)


@dataclass
class SendContext:
    db: Database
    senders: Mapping[str, Sender]
    buckets: Mapping[str, TokenBucket]
    links: LinkConfig
    holder: str
    claim_for: dt.timedelta
    backoff: tuple[dt.timedelta, ...] = BACKOFF
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)


def _recipient(profile: dict[str, object], channel: str) -> tuple[str, tuple[str, ...]]:
    if channel == "sms":
        return str(profile.get("mobile") or ""), ()
    if channel == "email":
        return str(profile.get("email") or ""), ()
    tokens = [str(t) for t in profile.get("push_tokens") or []]  # type: ignore[attr-defined]
    return (tokens[0], tuple(tokens[1:])) if tokens else ("", ())


def _save(ctx: SendContext, delivery: Delivery, now: dt.datetime, **extra: object) -> bool:
    try:
        deliveries_repo.save(ctx.db, delivery, now, dict(extra))
        return True
    except VersionConflict:
        log.warning("delivery changed while sending; the next claim settles it", extra={"delivery_id": delivery.id})
        return False


def _cancel(ctx: SendContext, delivery: Delivery, reason: str, now: dt.datetime) -> str:
    delivery.cancel(reason, now)
    _save(ctx, delivery, now)
    metrics.MESSAGES.labels(delivery.channel, "cancelled").inc()
    return "cancelled"


def _postpone(ctx: SendContext, doc: dict[str, object], until: dt.datetime, why: str) -> str:
    deliveries_repo.postpone(ctx.db, str(doc["_id"]), ctx.holder, until, why)
    return "postponed"


def send_one(ctx: SendContext) -> str | None:
    """Claim and process one due delivery; ``None`` when nothing is due."""
    now = ctx.clock()
    doc = deliveries_repo.claim_due(ctx.db, now, ctx.holder, ctx.claim_for)
    if doc is None:
        return None
    delivery = deliveries_repo.from_doc(doc)
    if delivery.journey_id:
        journey = journeys_repo.get(ctx.db, delivery.journey_id)
        if journey is not None and not journey.is_active:
            return _cancel(ctx, delivery, f"journey_{journey.status}", now)
    if delivery.campaign_id:
        campaign = ctx.db[CAMPAIGNS].find_one({"_id": delivery.campaign_id}, {"status": 1}) or {}
        if campaign.get("status") in ("stopped",):
            return _cancel(ctx, delivery, "campaign_stopped", now)
        if campaign.get("status") == "paused":
            return _postpone(ctx, doc, now + dt.timedelta(minutes=1), "campaign_paused")
    profile = projections.profile(ctx.db, delivery.customer_id) or {}
    consent = may_send(profile.get("consents") or [], delivery.channel, delivery.purpose)
    if not consent.allowed:
        return _cancel(ctx, delivery, f"consent:{consent.reason}", now)
    about = doc.get("about_instant")
    when = (schedule_service_message(delivery.channel, now, instant(about)) if about and delivery.purpose == "service"  # type: ignore[arg-type]
            else next_send_at(delivery.channel, now))
    if when > now:
        return _postpone(ctx, doc, when, "quiet_hours")
    recipient, more = _recipient(profile, delivery.channel)
    if not recipient:
        delivery.attempt_failed(f"no_{delivery.channel}_contact", now, permanent=True)
        _save(ctx, delivery, now)
        metrics.MESSAGES.labels(delivery.channel, "failed").inc()
        return "failed"
    try:
        template, _ = catalogue_repo.get_template(ctx.db, delivery.template_id)
        context = context_for(ctx.db, ctx.links, customer_id=delivery.customer_id, channel=delivery.channel,
                              policy_id=delivery.policy_id, ticket_id=str(doc.get("ticket_id") or ""), now=now, profile=profile)
        rendered = render(template, str(doc.get("language") or "fa"), context)
    except TemplateContextMissing as exc:
        missing = ",".join(v.field for v in exc.violations)
        delivery.attempt_failed(f"template_context_missing:{missing}", now, permanent=True)
        _save(ctx, delivery, now)
        metrics.MESSAGES.labels(delivery.channel, "failed").inc()
        return "failed"
    sender = ctx.senders[delivery.channel]
    ctx.buckets[delivery.channel].acquire()
    message = OutgoingMessage(delivery.id, delivery.channel, delivery.purpose, recipient, rendered.body, rendered.subject,
                              str(context.get("unsubscribe_url") or ""), more)
    started = time.monotonic()
    try:
        receipt = sender.send(message)
    except SendError as exc:
        metrics.SENDER_ERRORS.labels(sender.provider, delivery.channel).inc()
        now = ctx.clock()
        delivery.attempt_failed(exc.code, now, permanent=exc.permanent, schedule=ctx.backoff)
        waiting = {}
        if delivery.status == "queued" and delivery.next_attempt_at is not None:
            delivery.next_attempt_at = next_send_at(delivery.channel, delivery.next_attempt_at)
            waiting = {"waiting_for": "retry"}
        _save(ctx, delivery, now, **waiting)
        metrics.MESSAGES.labels(delivery.channel, "failed" if delivery.status == "failed" else "retried").inc()
        return delivery.status if delivery.status == "failed" else "retried"
    metrics.SEND_SECONDS.labels(delivery.channel).observe(time.monotonic() - started)
    now = ctx.clock()
    delivery.mark_sent(receipt.provider_message_id, now)
    _save(ctx, delivery, now, waiting_for="")
    metrics.MESSAGES.labels(delivery.channel, "sent").inc()
    return "sent"


def apply_sms_reports(ctx: SendContext, statuses: Mapping[str, int], delivered: frozenset[int], undelivered: frozenset[int]) -> int:
    changed = 0
    now = ctx.clock()
    for message_id, status in statuses.items():
        if status not in delivered and status not in undelivered:
            continue
        doc = ctx.db["deliveries"].find_one({"provider_message_id": message_id, "channel": "sms"})
        if doc is None or doc.get("status") != "sent":
            continue
        delivery = deliveries_repo.from_doc(doc)
        if status in delivered:
            delivery.mark_delivered(now)
            metrics.MESSAGES.labels("sms", "delivered").inc()
        else:
            delivery.mark_undeliverable(f"kavenegar_status_{status}", now)
            metrics.MESSAGES.labels("sms", "undelivered").inc()
        changed += _save(ctx, delivery, now)
    return changed
