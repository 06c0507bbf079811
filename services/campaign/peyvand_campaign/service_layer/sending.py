"""The sender loop's unit of work: claim a batch of due deliveries, re-check, render, send, record.

Never twice for one journey step: the dedup key made one delivery; a claim (``claimed_by`` /
``claimed_until_ms``) gives it to one sender at a time and expires if that sender dies; the
send carries the delivery id as the provider's client reference (Kavenegar ``localid``),
so a resend after "sent but not yet recorded" returns the first message instead of a second.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from peyvand_runtime.domain import VersionConflict
from pymongo.database import Database

from peyvand_campaign import metrics
from peyvand_campaign.adapters import catalogue_repo, deliveries_repo, projections
from peyvand_campaign.adapters.collections import CAMPAIGNS, JOURNEYS, instant
from peyvand_campaign.adapters.lookup_cache import TtlCache
from peyvand_campaign.adapters.senders.base import OutgoingMessage, Sender, SendError, SendReceipt
from peyvand_campaign.domain.consent import may_send
from peyvand_campaign.domain.delivery import BACKOFF, Delivery
from peyvand_campaign.domain.delivery_reports import GIVE_UP_AFTER, next_report_check
from peyvand_campaign.domain.journeys import ACTIVE
from peyvand_campaign.domain.quiet_hours import next_send_at, schedule_service_message
from peyvand_campaign.domain.templates import Template, TemplateContextMissing, render
from peyvand_campaign.service_layer.rendering import LinkConfig, agent_id_for, context_from

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

    def take(self, count: int = 1) -> float:
        """Take ``count`` tokens; returns how long the caller must wait first (0 when they were free)."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= count
            return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def acquire(self, count: int = 1) -> None:
        wait = self.take(count)
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
    batch_size: int = 100
    array_size: int = 100  # messages per provider bulk call (Kavenegar sendarray), for senders that have one
    templates: TtlCache = field(default_factory=TtlCache)  # template id or name -> Template
    agents: TtlCache = field(default_factory=TtlCache)  # agent id -> agent directory entry
    # The sender threads of one process claim in turn: a claim then never races a sibling's, so
    # its window can be the claim's size and the claimed documents need no re-read (claim_batch).
    claim_lock: threading.Lock = field(default_factory=threading.Lock)
    _batches: Iterator[int] = field(default_factory=itertools.count)

    def claim_token(self) -> str:
        """Unique per claimed batch, so the sender can tell which claims it won."""
        return f"{self.holder}:{next(self._batches)}"


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
    deliveries_repo.postpone(ctx.db, str(doc["_id"]), str(doc.get("claimed_by") or ctx.holder), until, why)
    return "postponed"


@dataclass
class _Batch:
    """What one claimed batch needs from the store, read once per batch (``$in`` on ``_id``)."""

    journeys: dict[str, dict[str, object]]
    campaigns: dict[str, dict[str, object]]
    profiles: dict[str, dict[str, object]]
    policies: dict[str, dict[str, object]]
    sent: list[tuple[Delivery, dict[str, object]]] = field(default_factory=list)
    claimed: dict[str, dict[str, object]] = field(default_factory=dict)  # delivery id -> document as claimed
    agents: dict[str, dict[str, object] | None] = field(default_factory=dict)  # agent id -> entry (None: not in the directory)

    @classmethod
    def load(cls, ctx: SendContext, docs: list[dict[str, object]]) -> _Batch:
        def ids(name: str) -> list[str]:
            return list(dict.fromkeys(str(d[name]) for d in docs if d.get(name)))

        journey_ids, campaign_ids = ids("journey_id"), ids("campaign_id")
        # Whole documents: nx-27017 deep-copies every document it projects (dearer than sending it).
        journeys = {d["_id"]: d for d in ctx.db[JOURNEYS].find({"_id": {"$in": journey_ids}})} if journey_ids else {}
        campaigns = {d["_id"]: d for d in ctx.db[CAMPAIGNS].find({"_id": {"$in": campaign_ids}})} if campaign_ids else {}
        # A delivery planned from an event carries the policy fact it was planned with (``policy``,
        # renewal_batch): only the facts of the others are read.
        unread = [str(d["policy_id"]) for d in docs if d.get("policy_id") and _carried_policy(d) is None]
        batch = cls(journeys, campaigns, projections.profiles(ctx.db, ids("customer_id")), projections.policies(ctx.db, unread),
                    claimed={str(d["_id"]): d for d in docs})
        # The agents the messages name: from the short-lived cache, the rest in one ``$in`` read
        # (one find_one per agent, per cache expiry and sender thread, was ~14 % of a sender's time).
        wanted = {agent_id_for(batch.profiles.get(str(d.get("customer_id") or "")) or {}, batch.policy_for(d)) for d in docs}
        wanted.discard("")
        missing = []
        for agent_id in wanted:
            cached = ctx.agents.get(agent_id)
            if cached is None:
                missing.append(agent_id)
            else:
                batch.agents[agent_id] = cached
        if missing:
            found = projections.agents(ctx.db, missing)
            for agent_id in missing:
                batch.agents[agent_id] = found.get(agent_id)
                ctx.agents.put(agent_id, found.get(agent_id))
        return batch

    def policy_for(self, doc: Mapping[str, object]) -> dict[str, object] | None:
        """The policy fact a delivery renders: the one it carries, else the one read for the batch."""
        carried = _carried_policy(doc)
        if carried is not None:
            return carried
        return self.policies.get(str(doc.get("policy_id") or "")) if doc.get("policy_id") else None


def _carried_policy(doc: Mapping[str, object]) -> dict[str, object] | None:
    carried = doc.get("policy")
    return carried if isinstance(carried, dict) and carried else None


def _template(ctx: SendContext, key: str) -> Template:
    template = ctx.templates.get(key)
    if template is None:
        template, _ = catalogue_repo.get_template(ctx.db, key)
        ctx.templates.put(key, template)
    return template  # type: ignore[no-any-return]


def _agent(ctx: SendContext, agent_id: str, batch: _Batch | None = None) -> dict[str, object] | None:
    if not agent_id:
        return None
    if batch is not None and agent_id in batch.agents:
        return batch.agents[agent_id]
    agent = ctx.agents.get(agent_id)
    if agent is None:
        agent = projections.agent(ctx.db, agent_id)
        ctx.agents.put(agent_id, agent)
    return agent  # type: ignore[no-any-return]


def send_batch(ctx: SendContext) -> list[str]:
    """Claim up to ``ctx.batch_size`` due deliveries, re-check and render each, send them (in bulk
    calls where the channel's sender has ``send_many``), and record the sent ones in one write.
    An empty list when nothing is due.

    Store calls per batch, not per message: claim (2; 3 when raced), journeys + campaigns +
    profiles + policies (≤ 4), templates and agents from a short-lived cache, sent records (1)."""
    now = ctx.clock()
    with ctx.claim_lock:
        docs = deliveries_repo.claim_batch(ctx.db, now, ctx.claim_token(), ctx.claim_for, ctx.batch_size)
    if not docs:
        return []
    batch = _Batch.load(ctx, docs)
    outcomes: list[str] = []
    ready: list[_Ready] = []
    try:
        for doc in docs:
            try:
                prepared = _prepare(ctx, doc, batch)
            except Exception:
                # Its claim expires and another pass retries it (a resend reuses the localid).
                log.exception("sending a delivery failed unexpectedly", extra={"delivery_id": doc.get("_id")})
                outcomes.append("error")
                continue
            if isinstance(prepared, str):
                outcomes.append(prepared)
            else:
                ready.append(prepared)
        outcomes.extend(_send_ready(ctx, ready, batch))
    finally:
        _record_sent(ctx, batch)
    return outcomes


def send_one(ctx: SendContext) -> str | None:
    """Claim and process one due delivery; ``None`` when nothing is due."""
    size, ctx.batch_size = ctx.batch_size, 1
    try:
        outcomes = send_batch(ctx)
    finally:
        ctx.batch_size = size
    return outcomes[0] if outcomes else None


def _record_sent(ctx: SendContext, batch: _Batch) -> None:
    if not batch.sent:
        return
    now = ctx.clock()
    # Only the fields the send changed are written (the claimed documents are the versions saved over).
    for conflict in deliveries_repo.save_many(ctx.db, batch.sent, now, before=batch.claimed):
        # Someone changed it after our claim (it was sent: the provider has it under its
        # localid). Its claim runs out, it is claimed again, and the resend is answered with
        # the first message's entry, so it is recorded then — still one SMS.
        log.warning("delivery changed while sending; the next claim settles it", extra={"delivery_id": conflict.id})
    for delivery, _ in batch.sent:
        metrics.MESSAGES.labels(delivery.channel, "sent").inc()
    batch.sent.clear()


def _prepare(ctx: SendContext, doc: dict[str, object], batch: _Batch) -> str | _Ready:
    """Re-check a claimed delivery (journey, campaign, consent, quiet hours, contact) and render it:
    the outcome when it is settled here (cancelled, postponed, failed), else what to send."""
    now = ctx.clock()
    delivery = deliveries_repo.from_doc(doc)
    if delivery.journey_id:
        journey = batch.journeys.get(delivery.journey_id)
        if journey is not None and journey.get("status") != ACTIVE:
            return _cancel(ctx, delivery, f"journey_{journey.get('status')}", now)
    if delivery.campaign_id:
        campaign = batch.campaigns.get(delivery.campaign_id) or {}
        if campaign.get("status") in ("stopped",):
            return _cancel(ctx, delivery, "campaign_stopped", now)
        if campaign.get("status") == "paused":
            return _postpone(ctx, doc, now + dt.timedelta(minutes=1), "campaign_paused")
    profile = batch.profiles.get(delivery.customer_id) or {}
    consent = may_send(profile.get("consents") or [], delivery.channel, delivery.purpose)  # type: ignore[arg-type]
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
        template = _template(ctx, delivery.template_id)
        policy = batch.policy_for(doc) if delivery.policy_id else None
        language = str(doc.get("language") or "fa")
        context = context_from(ctx.links, customer_id=delivery.customer_id, channel=delivery.channel, profile=profile,
                               policy=policy, agent=_agent(ctx, agent_id_for(profile, policy), batch),
                               ticket_id=str(doc.get("ticket_id") or ""), now=now, language=language)
        rendered = render(template, language, context)
    except TemplateContextMissing as exc:
        missing = ",".join(v.field for v in exc.violations)
        delivery.attempt_failed(f"template_context_missing:{missing}", now, permanent=True)
        _save(ctx, delivery, now)
        metrics.MESSAGES.labels(delivery.channel, "failed").inc()
        return "failed"
    message = OutgoingMessage(delivery.id, delivery.channel, delivery.purpose, recipient, rendered.body, rendered.subject,
                              str(context.get("unsubscribe_url") or ""), more)
    return _Ready(delivery, message)


@dataclass
class _Ready:
    """A claimed delivery that passed every check, rendered and ready for its sender."""

    delivery: Delivery
    message: OutgoingMessage


def _send_ready(ctx: SendContext, ready: list[_Ready], batch: _Batch) -> list[str]:
    """Send per channel: bulk calls of ``ctx.array_size`` where the sender has ``send_many``
    (every message keeps its own client reference, so a resent array sends nothing twice)."""
    outcomes: list[str] = []
    by_channel: dict[str, list[_Ready]] = {}
    for item in ready:
        by_channel.setdefault(item.delivery.channel, []).append(item)
    for channel, items in by_channel.items():
        sender = ctx.senders[channel]
        send_many = getattr(sender, "send_many", None)
        if send_many is None or len(items) == 1:
            outcomes.extend(_send_single(ctx, sender, item, batch) for item in items)
            continue
        for start in range(0, len(items), max(1, ctx.array_size)):
            chunk = items[start:start + max(1, ctx.array_size)]
            ctx.buckets[channel].acquire(len(chunk))
            started = time.monotonic()
            try:
                answers: list[SendReceipt | SendError] = send_many([item.message for item in chunk])
            except SendError as exc:
                if exc.permanent:
                    # The provider refused the whole array (one invalid number refuses them all):
                    # one by one, so only the bad message fails; the localids keep it once.
                    outcomes.extend(_send_single(ctx, sender, item, batch, acquire=False) for item in chunk)
                else:
                    outcomes.extend(_settle(ctx, sender, item, exc, batch) for item in chunk)
                continue
            except Exception:
                log.exception("bulk send failed unexpectedly; the claims expire and are retried", extra={"count": len(chunk)})
                outcomes.extend("error" for _ in chunk)
                continue
            metrics.SEND_SECONDS.labels(channel).observe(time.monotonic() - started)
            outcomes.extend(_settle(ctx, sender, item, answer, batch) for item, answer in zip(chunk, answers, strict=True))
    return outcomes


def _send_single(ctx: SendContext, sender: Sender, item: _Ready, batch: _Batch, acquire: bool = True) -> str:
    try:
        if acquire:
            ctx.buckets[item.delivery.channel].acquire()
        started = time.monotonic()
        try:
            receipt: SendReceipt | SendError = sender.send(item.message)
            metrics.SEND_SECONDS.labels(item.delivery.channel).observe(time.monotonic() - started)
        except SendError as exc:
            receipt = exc
        return _settle(ctx, sender, item, receipt, batch)
    except Exception:
        log.exception("sending a delivery failed unexpectedly", extra={"delivery_id": item.delivery.id})
        return "error"


def _settle(ctx: SendContext, sender: Sender, item: _Ready, answer: SendReceipt | SendError, batch: _Batch) -> str:
    delivery = item.delivery
    if isinstance(answer, SendError):
        metrics.SENDER_ERRORS.labels(sender.provider, delivery.channel).inc()
        now = ctx.clock()
        delivery.attempt_failed(answer.code, now, permanent=answer.permanent, schedule=ctx.backoff)
        waiting = {}
        if delivery.status == "queued" and delivery.next_attempt_at is not None:
            delivery.next_attempt_at = next_send_at(delivery.channel, delivery.next_attempt_at)
            waiting = {"waiting_for": "retry"}
        _save(ctx, delivery, now, **waiting)
        metrics.MESSAGES.labels(delivery.channel, "failed" if delivery.status == "failed" else "retried").inc()
        return delivery.status if delivery.status == "failed" else "retried"
    now = ctx.clock()
    delivery.mark_sent(answer.provider_message_id, now)
    extra: dict[str, object] = {"waiting_for": ""}
    if callable(getattr(sender, "statuses", None)) and answer.provider_message_id:
        extra["report_due_ms"] = deliveries_repo.epoch_ms(now)  # ask for its report at the next poll
    batch.sent.append((delivery, extra))
    return "sent"


@dataclass
class ReportPoll:
    """What one delivery-report poll did."""

    asked: int = 0  # messages asked about
    applied: int = 0  # final reports recorded (delivered or undelivered)
    waiting: int = 0  # no final report yet: asked about again later
    given_up: int = 0  # waited too long: no longer asked about (they stay sent)


def poll_sms_reports(ctx: SendContext, fetch: Callable[[list[str]], Mapping[str, int]], delivered: frozenset[int],
                     undelivered: frozenset[int], poll_every: dt.timedelta, give_up_after: dt.timedelta = GIVE_UP_AFTER,
                     page: int = 500, max_pages: int = 20) -> ReportPoll:
    """Ask the provider (``fetch``: message ids -> provider status) about the sent SMS whose report
    is due, a page at a time, the longest due first; record final reports, and give each message
    still without one its next check (``delivery_reports.next_report_check``). A ``fetch`` error
    propagates: nothing of that page was changed, it stays due."""
    now = ctx.clock()
    poll = ReportPoll()
    for _ in range(max_pages):
        docs = deliveries_repo.reports_due(ctx.db, now, page)
        by_message = {str(d["provider_message_id"]): d for d in docs if d.get("provider_message_id")}
        statuses = fetch(list(by_message)) if by_message else {}
        poll.asked += len(by_message)
        next_checks: dict[int | None, list[str]] = {}
        for doc in docs:
            status = statuses.get(str(doc.get("provider_message_id") or ""))
            if doc.get("status") != "sent" or not doc.get("provider_message_id"):
                next_checks.setdefault(None, []).append(doc["_id"])  # nothing to ask about
                continue
            if status in delivered or status in undelivered:
                if _apply_report(ctx, doc, status in delivered, f"kavenegar_status_{status}", now):
                    poll.applied += 1
                    continue
                check: dt.datetime | None = now + poll_every  # changed meanwhile: the next poll settles it
            else:
                sent_at = instant(doc["sent_at"]) if doc.get("sent_at") else now
                check = next_report_check(sent_at, now, poll_every, give_up_after)
            if check is None:
                poll.given_up += 1
                metrics.MESSAGES.labels("sms", "report_expired").inc()
            else:
                poll.waiting += 1
            next_checks.setdefault(None if check is None else deliveries_repo.epoch_ms(check), []).append(doc["_id"])
        deliveries_repo.reschedule_reports(ctx.db, now, next_checks)
        if len(docs) < page:
            break
    return poll


def _apply_report(ctx: SendContext, doc: dict[str, object], reached: bool, reason: str, now: dt.datetime) -> bool:
    """Record a final delivery report on its delivery (versioned; the report check ends with it)."""
    delivery = deliveries_repo.from_doc(doc)  # type: ignore[arg-type]
    if reached:
        delivery.mark_delivered(now)
    else:
        delivery.mark_undeliverable(reason, now)
    try:
        deliveries_repo.save(ctx.db, delivery, now, unset=("report_due_ms",))
    except VersionConflict:
        return False
    metrics.MESSAGES.labels("sms", "delivered" if reached else "undelivered").inc()
    return True
