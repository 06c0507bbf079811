"""Campaign aggregate: a one-off broadcast to a segment or a trigger-based journey, and its results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from peyvand_runtime.domain import Aggregate, InvalidTransition, Violations
from peyvand_runtime.ids import is_id, new_id

from .journey_steps import JOURNEY_KINDS
from .segments import rule_violations
from .values import CHANNELS, PURPOSES, require_aware

BROADCAST, JOURNEY = "broadcast", "journey"
DRAFT, SCHEDULED, RUNNING, PAUSED, STOPPED, COMPLETED = (
    "draft", "scheduled", "running", "paused", "stopped", "completed")
TRANSITIONS: Mapping[str, frozenset[str]] = {
    DRAFT: frozenset({SCHEDULED, STOPPED}),
    SCHEDULED: frozenset({RUNNING, STOPPED}),
    RUNNING: frozenset({PAUSED, STOPPED, COMPLETED}),
    PAUSED: frozenset({RUNNING, STOPPED}),
    STOPPED: frozenset(),
    COMPLETED: frozenset(),
}


@dataclass(frozen=True)
class CampaignResults:
    """Counters a user sees; ``customers_messaged`` is the denominator of the conversion rate."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0
    opted_out: int = 0
    converted: int = 0
    customers_messaged: int = 0

    @property
    def conversion_rate(self) -> float | None:
        """converted / customers messaged; ``None`` (not 0.0) when nobody was messaged."""
        if self.customers_messaged == 0:
            return None
        return self.converted / self.customers_messaged

    def conversion_rate_text(self) -> str:
        rate = self.conversion_rate
        return "n/a (no customers messaged)" if rate is None else f"{rate * 100:.1f}%"

    @classmethod
    def tally(cls, deliveries: Iterable[Any], converted_customer_ids: Iterable[str] = (),
              opted_out_customer_ids: Iterable[str] = ()) -> CampaignResults:
        """Count from delivery records (anything with ``status`` and ``customer_id``).

        A delivered message was also sent. Only messaged customers count as converted.
        """
        sent = delivered = failed = 0
        messaged: set[str] = set()
        for delivery in deliveries:
            if delivery.status in ("sent", "delivered"):
                sent += 1
                messaged.add(delivery.customer_id)
            delivered += delivery.status == "delivered"
            failed += delivery.status == "failed"
        converted = len(messaged & set(converted_customer_ids))
        return cls(sent, delivered, failed, len(set(opted_out_customer_ids)), converted, len(messaged))


@dataclass
class Campaign(Aggregate):
    name: str = ""
    kind: str = BROADCAST
    purpose: str = "marketing"
    channel: str = "sms"  # primary channel; other template_ids entries are fallbacks
    template_ids: dict[str, str] = field(default_factory=dict)
    segment_rule: dict[str, Any] | None = None
    segment_id: str = ""
    journey_kind: str = ""
    schedule_at: dt.datetime | None = None
    status: str = DRAFT
    created_at: dt.datetime | None = None
    status_changed_at: dt.datetime | None = None
    stopped_reason: str = ""
    results: CampaignResults = field(default_factory=CampaignResults)

    @classmethod
    def create(cls, *, name: str, purpose: str, channel: str, template_ids: Mapping[str, str],
               now: dt.datetime, kind: str = BROADCAST, segment_rule: dict[str, Any] | None = None,
               segment_id: str = "", journey_kind: str = "", schedule_at: dt.datetime | None = None,
               campaign_id: str | None = None) -> Campaign:
        campaign = cls(id=campaign_id or new_id("cmp"), name=name, kind=kind, purpose=purpose, channel=channel,
                       template_ids=dict(template_ids), segment_rule=segment_rule, segment_id=segment_id,
                       journey_kind=journey_kind, schedule_at=schedule_at, created_at=now,
                       status_changed_at=now)
        campaign.validate(now)
        return campaign

    def validate(self, now: dt.datetime) -> None:
        now = require_aware(now)
        v = Violations()
        if not self.name.strip():
            v.add("name", "is required")
        if self.purpose not in PURPOSES:
            v.add("purpose", f"must be one of {', '.join(PURPOSES)}")
        if self.channel not in CHANNELS:
            v.add("channel", f"must be one of {', '.join(CHANNELS)}")
        elif self.channel not in self.template_ids:
            v.add(f"template_ids.{self.channel}", "a template is required for the campaign's channel")
        for channel, template_id in self.template_ids.items():
            if channel not in CHANNELS:
                v.add(f"template_ids.{channel}", "unknown channel")
            elif not is_id(template_id, "tpl"):
                v.add(f"template_ids.{channel}", "must be a tpl_ id")
        if self.kind == BROADCAST:
            if self.segment_rule is None and not self.segment_id:
                v.add("segment_rule", "a broadcast needs a segment rule or segment_id")
        elif self.kind == JOURNEY:
            if self.journey_kind not in JOURNEY_KINDS:
                v.add("journey_kind", f"must be one of {', '.join(JOURNEY_KINDS)}")
        else:
            v.add("kind", "must be broadcast or journey")
        if self.segment_id and not is_id(self.segment_id, "seg"):
            v.add("segment_id", "must be a seg_ id")
        if self.segment_rule is not None:
            v.items.extend(rule_violations(self.segment_rule, "segment_rule").items)
        if self.schedule_at is not None:
            if self.schedule_at.tzinfo is None:
                v.add("schedule_at", "must include a time zone")
            elif self.schedule_at < now:
                v.add("schedule_at", "must not be in the past")
        v.raise_if_any()

    def revise(self, now: dt.datetime, **changes: Any) -> None:
        """Edit a draft (name, channel, template_ids, segment_rule, schedule_at, ...)."""
        if self.status != DRAFT:
            raise InvalidTransition(f"a {self.status} campaign cannot be edited", code="CAMPAIGN_INVALID_TRANSITION")
        allowed = {"name", "purpose", "channel", "template_ids", "segment_rule", "segment_id",
                   "journey_kind", "schedule_at"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot revise {sorted(unknown)}")
        previous = {k: getattr(self, k) for k in changes}
        for key, value in changes.items():
            setattr(self, key, value)
        try:
            self.validate(now)
        except Exception:
            for key, value in previous.items():
                setattr(self, key, value)
            raise

    def _move(self, target: str, now: dt.datetime) -> None:
        if target not in TRANSITIONS[self.status]:
            raise InvalidTransition(f"a {self.status} campaign cannot become {target}",
                                    code="CAMPAIGN_INVALID_TRANSITION",
                                    metadata={"from": self.status, "to": target})
        self.status, self.status_changed_at = target, now

    def schedule(self, now: dt.datetime) -> None:
        """Draft → scheduled; re-checks everything (a schedule that slipped into the past is refused)."""
        if self.status == DRAFT:
            self.validate(now)
        self._move(SCHEDULED, now)

    def is_due(self, now: dt.datetime) -> bool:
        return self.status == SCHEDULED and (self.schedule_at is None or self.schedule_at <= now)

    def start(self, now: dt.datetime) -> None:
        self._move(RUNNING, now)

    def pause(self, now: dt.datetime) -> None:
        self._move(PAUSED, now)

    def resume(self, now: dt.datetime) -> None:
        if self.status != PAUSED:
            raise InvalidTransition(f"a {self.status} campaign cannot be resumed", code="CAMPAIGN_INVALID_TRANSITION")
        self._move(RUNNING, now)

    def stop(self, now: dt.datetime, reason: str = "") -> None:
        self._move(STOPPED, now)
        self.stopped_reason = reason

    def complete(self, now: dt.datetime) -> None:
        self._move(COMPLETED, now)

    @property
    def sends_messages(self) -> bool:
        """Only a running campaign hands out new messages; paused ones keep their queue waiting."""
        return self.status == RUNNING

    def update_results(self, results: CampaignResults) -> None:
        self.results = results

    def broadcast_dedup_key(self, customer_id: str) -> str:
        """One broadcast message per customer, whatever channel it falls back to."""
        return f"{self.id}:{customer_id}"
