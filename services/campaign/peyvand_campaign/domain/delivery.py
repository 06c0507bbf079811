"""Delivery record: one message to one customer, its retries with fixed backoff, and its outcome.

Lifecycle: ``queued`` → ``sent`` → ``delivered`` | ``failed``; a queued message whose send
attempt fails stays queued with ``next_attempt_at`` pushed back (30 s, 2 min, 10 min, 1 h)
until the 5th failed attempt, which fails it for good. The schedule is deterministic (no
jitter) so retries are predictable and testable; the sender spreads load by itself.
``next_attempt_at`` ignores quiet hours: the service layer passes it through
:func:`quiet_hours.next_send_at` before queueing the retry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peyvand_runtime.domain import Aggregate, InvalidTransition, Violations
from peyvand_runtime.ids import new_id

from .values import CHANNELS, PURPOSES, iso_instant, require_aware

QUEUED, SENT, DELIVERED, FAILED, SKIPPED = "queued", "sent", "delivered", "failed", "skipped"
BACKOFF: tuple[dt.timedelta, ...] = (
    dt.timedelta(seconds=30), dt.timedelta(minutes=2), dt.timedelta(minutes=10), dt.timedelta(hours=1))
MAX_ATTEMPTS = 5


def backoff_delay(failed_attempts: int, schedule: tuple[dt.timedelta, ...] = BACKOFF) -> dt.timedelta | None:
    """Wait after the n-th failed attempt (1-based); ``None`` once attempts are used up.

    ``schedule`` replaces the default waits (operators tune it; tests shrink it to seconds).
    """
    if failed_attempts < 1:
        raise ValueError("failed_attempts starts at 1")
    if not schedule:
        raise ValueError("the backoff schedule needs at least one wait")
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    return schedule[min(failed_attempts, len(schedule)) - 1]


@dataclass
class Delivery(Aggregate):
    dedup_key: str = ""
    customer_id: str = ""
    channel: str = ""
    purpose: str = ""
    template_id: str = ""
    campaign_id: str = ""
    journey_id: str = ""
    policy_id: str = ""
    status: str = QUEUED
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    last_error: str = ""
    failure_reason: str = ""
    provider_message_id: str = ""
    created_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    failed_at: dt.datetime | None = None

    @classmethod
    def queue(cls, *, dedup_key: str, customer_id: str, channel: str, purpose: str, template_id: str,
              now: dt.datetime, send_at: dt.datetime | None = None, campaign_id: str = "",
              journey_id: str = "", policy_id: str = "", delivery_id: str | None = None) -> Delivery:
        """A new queued message; ``send_at`` is when quiet hours / frequency cap let it go."""
        v = Violations()
        if not dedup_key:
            v.add("dedup_key", "is required")
        if not customer_id:
            v.add("customer_id", "is required")
        if channel not in CHANNELS:
            v.add("channel", f"must be one of {', '.join(CHANNELS)}")
        if purpose not in PURPOSES:
            v.add("purpose", f"must be one of {', '.join(PURPOSES)}")
        v.raise_if_any()
        now = require_aware(now)
        return cls(id=delivery_id or new_id("dlv"), dedup_key=dedup_key, customer_id=customer_id,
                   channel=channel, purpose=purpose, template_id=template_id, campaign_id=campaign_id,
                   journey_id=journey_id, policy_id=policy_id, created_at=now,
                   next_attempt_at=require_aware(send_at, "send_at") if send_at else now)

    @classmethod
    def skipped(cls, *, dedup_key: str, customer_id: str, channel: str, purpose: str, template_id: str,
                reason: str, now: dt.datetime, campaign_id: str = "", journey_id: str = "",
                policy_id: str = "") -> Delivery:
        """A message we decided not to send (no consent, no contact point): kept so the dedup key
        is taken, the 360° view shows why, and results count it. No event: nothing was sent."""
        delivery = cls.queue(dedup_key=dedup_key, customer_id=customer_id, channel=channel, purpose=purpose,
                             template_id=template_id, now=now, campaign_id=campaign_id, journey_id=journey_id,
                             policy_id=policy_id)
        delivery.status, delivery.failure_reason, delivery.next_attempt_at = SKIPPED, reason, None
        return delivery

    def is_due(self, now: dt.datetime) -> bool:
        return self.status == QUEUED and self.next_attempt_at is not None and self.next_attempt_at <= now

    def _refuse(self, action: str) -> InvalidTransition:
        return InvalidTransition(f"a {self.status} message cannot be {action}",
                                 metadata={"from": self.status, "action": action})

    def mark_sent(self, provider_message_id: str, now: dt.datetime) -> None:
        """The provider accepted the message; records ``campaign.message_sent``."""
        if self.status != QUEUED:
            raise self._refuse("sent")
        now = require_aware(now)
        self.attempts += 1
        self.status, self.provider_message_id, self.sent_at, self.next_attempt_at = SENT, provider_message_id, now, None
        self.record("campaign.message_sent", {**self._payload(), "provider_message_id": provider_message_id,
                                              "sent_at": iso_instant(now)})

    def attempt_failed(self, error: str, now: dt.datetime, *, permanent: bool = False,
                       schedule: tuple[dt.timedelta, ...] = BACKOFF) -> None:
        """A send attempt failed: retry later, or fail for good when permanent or out of attempts.

        ``error`` is a provider error code or short text without personal data.
        """
        if self.status != QUEUED:
            raise self._refuse("retried")
        now = require_aware(now)
        self.attempts += 1
        self.last_error = error
        delay = None if permanent else backoff_delay(self.attempts, schedule)
        if delay is None:
            self._fail(error if permanent else f"gave up after {self.attempts} attempts: {error}", now)
        else:
            self.next_attempt_at = now + delay

    def cancel(self, reason: str, now: dt.datetime) -> None:
        """Drop a queued message that may no longer go (consent revoked, journey stopped)."""
        if self.status != QUEUED:
            raise self._refuse("cancelled")
        self._fail(reason, require_aware(now))

    def mark_delivered(self, now: dt.datetime) -> None:
        """Delivery report from the provider. A repeated report is ignored."""
        if self.status == DELIVERED:
            return
        if self.status != SENT:
            raise self._refuse("delivered")
        self.status, self.delivered_at = DELIVERED, require_aware(now)

    def mark_undeliverable(self, reason: str, now: dt.datetime) -> None:
        """The provider reported that a sent message never reached the handset/inbox."""
        if self.status != SENT:
            raise self._refuse("undeliverable")
        self._fail(reason, require_aware(now))

    def _fail(self, reason: str, now: dt.datetime) -> None:
        self.status, self.failure_reason, self.failed_at, self.next_attempt_at = FAILED, reason, now, None
        self.record("campaign.message_failed", {**self._payload(), "reason": reason, "failed_at": iso_instant(now)})

    def _payload(self) -> dict[str, object]:
        return {
            "delivery_id": self.id,
            "dedup_key": self.dedup_key,
            "customer_id": self.customer_id,
            "channel": self.channel,
            "purpose": self.purpose,
            "template_id": self.template_id,
            "campaign_id": self.campaign_id,
            "journey_id": self.journey_id,
            "policy_id": self.policy_id,
            "attempts": self.attempts,
        }
