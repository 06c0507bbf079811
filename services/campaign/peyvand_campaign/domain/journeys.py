"""Journeys: renewal, win-back, survey and cross-sell message sequences per customer and policy.

A journey is started by an event (``policy.renewal_due`` → renewal, ``policy.lapsed`` →
win-back, ``ticket.resolved`` → survey) and then asked to *plan* a notice window. A renewal
window is ``days_before_expiry`` from ``policy.renewal_due``; for the other kinds it is days
since the journey started (a daily job asks). A window is planned once: replays, redeliveries
and catch-up jobs get nothing the second time. Windows without a step (e.g. 45) are recorded
and send nothing.

Conversion attribution: a journey whose goal is reached (``policy.renewed``) becomes
*converted* only when at least one of its messages was sent before that instant; otherwise it
is *stopped* with the reason — a customer who renewed before hearing from us was not won by us.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from peyvand_runtime.domain import Aggregate, ValidationError, Violations
from peyvand_runtime.ids import new_id
from peyvand_runtime.tehran_time import expiry_instant, tehran_date

from .journey_steps import (  # noqa: F401  (re-exported: one import for the service layer)
    AGENT_TASK,
    CROSS_SELL,
    DEFINITIONS,
    JOURNEY_KINDS,
    MESSAGE,
    RENEWAL,
    SURVEY,
    WINBACK,
    JourneyDefinition,
    JourneyStep,
)
from .values import iso_instant, require_aware

ACTIVE, STOPPED, CONVERTED, COMPLETED = "active", "stopped", "converted", "completed"


def message_dedup_key(journey_id: str, window: int, channel: str) -> str:
    """One message per journey, window and step channel slot (even if it fell back elsewhere)."""
    return f"{journey_id}:{window}:{channel}"


def agent_task_dedup_key(journey_id: str, window: int) -> str:
    return f"{journey_id}:{window}:agent_task"


@dataclass(frozen=True)
class PlannedMessage:
    """A message the service layer should try to send (consent, channel, timing decided there)."""

    dedup_key: str
    journey_id: str
    customer_id: str
    policy_id: str
    window: int
    channel: str  # the step's channel slot; the delivery may fall back to another channel
    template: str
    purpose: str
    about_instant: dt.datetime | None  # arrive before this (policy expiry), if any


@dataclass(frozen=True)
class AgentTaskRequest:
    dedup_key: str
    due_date: dt.date


@dataclass(frozen=True)
class StepPlan:
    outcome: str  # no_step | planned | already_done | journey_<status> | not_applicable
    messages: tuple[PlannedMessage, ...] = ()
    agent_task: AgentTaskRequest | None = None


@dataclass(frozen=True)
class StepRecord:
    window: int
    at: dt.datetime
    outcome: str


@dataclass
class Journey(Aggregate):
    kind: str = RENEWAL
    customer_id: str = ""
    policy_id: str = ""
    ticket_id: str = ""
    campaign_id: str = ""
    term_end: dt.date | None = None
    status: str = ACTIVE
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    stopped_reason: str = ""
    steps_done: dict[int, StepRecord] = field(default_factory=dict)
    message_outcomes: dict[str, str] = field(default_factory=dict)  # dedup key -> planned/sent/failed/skipped:<why>
    sent_at: dict[str, dt.datetime] = field(default_factory=dict)  # dedup key -> first sent instant
    merged_customer_ids: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, kind: str, customer_id: str, now: dt.datetime, *, policy_id: str = "",
              term_end: dt.date | None = None, ticket_id: str = "", campaign_id: str = "",
              journey_id: str | None = None) -> Journey:
        violations = Violations()
        if kind not in JOURNEY_KINDS:
            violations.add("kind", f"must be one of {', '.join(JOURNEY_KINDS)}")
        if not customer_id:
            violations.add("customer_id", "is required")
        if kind in (RENEWAL, WINBACK) and not policy_id:
            violations.add("policy_id", f"a {kind} journey is about a policy")
        if kind == RENEWAL and term_end is None:
            violations.add("term_end", "a renewal journey needs the term end date")
        if kind == SURVEY and not ticket_id:
            violations.add("ticket_id", "a survey journey is about a resolved ticket")
        violations.raise_if_any()
        return cls(id=journey_id or new_id("jrn"), kind=kind, customer_id=customer_id, policy_id=policy_id,
                   ticket_id=ticket_id, campaign_id=campaign_id, term_end=term_end,
                   started_at=require_aware(now))

    @property
    def natural_key(self) -> str:
        """At most one journey per kind and subject (policy term, policy or ticket): find before start."""
        subject = self.ticket_id if self.kind == SURVEY else self.policy_id or self.customer_id
        term = self.term_end.isoformat() if self.term_end else ""
        return f"{self.kind}:{subject}:{term}"

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    def window_on(self, today: dt.date) -> int:
        """Renewal: days before the term ends; other kinds: days since the journey started."""
        if self.kind == RENEWAL and self.term_end is not None:
            return (self.term_end - today).days
        assert self.started_at is not None
        return (today - tehran_date(self.started_at)).days

    def plan(self, window: int, now: dt.datetime, definition: JourneyDefinition, *,
             agent_id: str = "", branch_code: str = "", policy_number: str = "") -> StepPlan:
        """Plan the step for ``window`` once; an agent-task step records ``campaign.agent_task_requested``."""
        now = require_aware(now)
        if definition.kind != self.kind:
            raise ValidationError.single("kind", f"definition is for {definition.kind}, journey is {self.kind}")
        if not self.is_active:
            return StepPlan(f"journey_{self.status}")
        if window in self.steps_done:
            return StepPlan("already_done")
        step = definition.step_for(window)
        if step is None:
            self.steps_done[window] = StepRecord(window, now, "no_step")
            return StepPlan("no_step")
        if step.action == AGENT_TASK:
            request = self._request_agent_task(step, now, agent_id, branch_code, policy_number)
            self.steps_done[window] = StepRecord(window, now, "agent_task_requested")
            return StepPlan("planned", agent_task=request)
        about = expiry_instant(self.term_end) if self.kind == RENEWAL and self.term_end else None
        messages = tuple(
            PlannedMessage(message_dedup_key(self.id, window, channel), self.id, self.customer_id,
                           self.policy_id, window, channel, step.templates.get(channel, ""),
                           definition.purpose, about)
            for channel in step.channels
        )
        for message in messages:
            self.message_outcomes.setdefault(message.dedup_key, "planned")
        self.steps_done[window] = StepRecord(window, now, "messages_planned")
        return StepPlan("planned", messages=messages)

    def _request_agent_task(self, step: JourneyStep, now: dt.datetime, agent_id: str, branch_code: str,
                            policy_number: str) -> AgentTaskRequest:
        due = tehran_date(now) + dt.timedelta(days=step.task_due_in_days)
        if self.term_end is not None:
            due = min(due, self.term_end)  # the call is pointless after the policy has expired
        key = agent_task_dedup_key(self.id, step.window)
        self.record("campaign.agent_task_requested", {
            "journey_id": self.id,
            "journey_kind": self.kind,
            "customer_id": self.customer_id,
            "policy_id": self.policy_id,
            "policy_number": policy_number,
            "agent_id": agent_id,
            "branch_code": branch_code,
            "window": step.window,
            "term_end": self.term_end.isoformat() if self.term_end else "",
            "due_date": due.isoformat(),
            "dedup_key": key,
            "requested_at": iso_instant(now),
        })
        return AgentTaskRequest(key, due)

    def record_message_outcome(self, dedup_key: str, outcome: str, at: dt.datetime) -> None:
        """``sent`` (counts for attribution), ``failed`` or ``skipped:<reason>`` for a planned message."""
        if outcome == "sent":
            self.sent_at.setdefault(dedup_key, require_aware(at))
        elif self.message_outcomes.get(dedup_key) == "sent":
            return  # a late failure report never hides that the message went out
        self.message_outcomes[dedup_key] = outcome

    def goal_reached(self, at: dt.datetime, reason: str = "renewed") -> bool:
        """Renewed (or re-bought, for win-back): converted if a message went before, else stopped."""
        at = require_aware(at, "at")
        if not self.is_active:
            return False
        earlier = [t for t in self.sent_at.values() if t < at]
        if not earlier:
            return self._end(STOPPED, reason, at)
        self._end(CONVERTED, reason, at)
        self.record("campaign.converted", {
            "journey_id": self.id,
            "journey_kind": self.kind,
            "campaign_id": self.campaign_id,
            "customer_id": self.customer_id,
            "policy_id": self.policy_id,
            "reason": reason,
            "first_message_sent_at": iso_instant(min(earlier)),
            "messages_sent_before": len(earlier),
            "converted_at": iso_instant(at),
        })
        return True

    def stop(self, reason: str, at: dt.datetime) -> bool:
        """Stop an active journey (cancelled policy, opt-out, operator); a no-op otherwise."""
        return self.is_active and self._end(STOPPED, reason, require_aware(at, "at"))

    def complete(self, at: dt.datetime, reason: str = "finished") -> bool:
        return self.is_active and self._end(COMPLETED, reason, require_aware(at, "at"))

    def _end(self, status: str, reason: str, at: dt.datetime) -> bool:
        self.status, self.stopped_reason, self.ended_at = status, reason, at
        return True

    def apply_policy_event(self, event_type: str, at: dt.datetime) -> bool:
        """React to ``policy.renewed/cancelled/lapsed`` for this journey's policy; True if it changed."""
        if event_type == "policy.cancelled":
            return self.stop("cancelled", at)
        if event_type == "policy.renewed" and self.kind in (RENEWAL, WINBACK):
            return self.goal_reached(at, "renewed")
        if event_type == "policy.lapsed" and self.kind == RENEWAL:
            return self.complete(at, "lapsed")
        return False

    def close_if_over(self, today: dt.date, now: dt.datetime, definition: JourneyDefinition) -> bool:
        """Complete a journey whose last window is past (daily job), so it stops waiting."""
        if definition.end_window is None:
            return False
        window = self.window_on(today)
        over = window <= definition.end_window if self.kind == RENEWAL else window >= definition.end_window
        return over and self.complete(now, "expired" if self.kind == RENEWAL else "finished")

    def repoint_customer(self, merged_id: str, survivor_id: str) -> bool:
        """``customer.merged``: the survivor carries on; dedup keys are per journey so nothing repeats."""
        if self.customer_id != merged_id or merged_id == survivor_id:
            return False
        self.customer_id = survivor_id
        self.merged_customer_ids.append(merged_id)
        return True

