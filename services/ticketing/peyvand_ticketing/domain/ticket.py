"""The Ticket aggregate: a customer's request, complaint, claim inquiry or incident through its lifecycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from peyvand_runtime.domain import Aggregate, DomainEvent, InvalidTransition, ValidationError, Violations
from peyvand_runtime.ids import is_id, new_id

from . import sla as sla_rules
from . import ticket_values as tv
from .business_calendar import BusinessCalendar, to_utc
from .priority import priority_for, validate_impact_urgency
from .ticket_values import (
    ACTIVE_STATUSES,
    CLOSED,
    DEFAULT_REOPEN_PERIOD,
    NEW,
    OPEN,
    PENDING_CUSTOMER,
    RESOLVED,
    TRANSITIONS,
    ActivityEntry,
    Attachment,
    Reply,
    iso_utc,
    validate_choice,
    validate_text,
)

INVALID_TRANSITION = "TICKET_INVALID_TRANSITION"


@dataclass
class Ticket(Aggregate):
    ticket_number: str = ""
    type: str = ""
    category: str = ""
    channel: str = ""
    customer_id: str = ""
    subject: str = ""
    description: str = ""
    impact: str = "medium"
    urgency: str = "medium"
    priority: str = "P3"
    status: str = NEW
    policy_number: str | None = None
    branch_code: str | None = None
    # The customer's agent (learned from the customer projection or given by the gateway): scoping.
    agent_id: str | None = None
    queue_id: str | None = None
    assignee_id: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    first_responded_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    reopen_count: int = 0
    sla: sla_rules.TicketSla | None = None
    attachments: list[Attachment] = field(default_factory=list)
    satisfaction_score: int | None = None
    satisfaction_comment: str | None = None
    activity: list[ActivityEntry] = field(default_factory=list)

    # -- creation -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls, *, ticket_number: str, type: str, category: str, channel: str, customer_id: str, subject: str,
        opened_by: str, now: dt.datetime, calendar: BusinessCalendar, description: str = "",
        impact: str = "medium", urgency: str = "medium", policy_number: str | None = None,
        branch_code: str | None = None, queue_id: str | None = None, agent_id: str | None = None, attachments: Iterable[Attachment] = (),
        sla_policy: sla_rules.SlaPolicy = sla_rules.DEFAULT_SLA_POLICY, ticket_id: str | None = None,
    ) -> Ticket:
        """Log a new ticket (status ``new``) and start its SLA clock; records ``ticket.opened``."""
        attachments = list(attachments)
        problems = Violations()
        validate_text(problems, "ticket_number", ticket_number, tv.MAX_TICKET_NUMBER)
        validate_choice(problems, "type", type, tv.TICKET_TYPES)
        validate_text(problems, "category", category, tv.MAX_CATEGORY)
        validate_choice(problems, "channel", channel, tv.CHANNELS)
        if not is_id(customer_id, "cus"):
            problems.add("customer_id", "must be a customer id (cus_…)")
        validate_text(problems, "subject", subject, tv.MAX_SUBJECT)
        validate_text(problems, "description", description, tv.MAX_DESCRIPTION, required=False)
        validate_impact_urgency(impact, urgency, problems)
        if policy_number is not None:
            validate_text(problems, "policy_number", policy_number, tv.MAX_POLICY_NUMBER)
        if len(attachments) > tv.MAX_ATTACHMENTS:
            problems.add("attachments", f"at most {tv.MAX_ATTACHMENTS} attachments")
        for i, attachment in enumerate(attachments):
            attachment.validate(problems, f"attachments[{i}]")
        problems.raise_if_any()
        now = to_utc(now)
        priority = priority_for(impact, urgency)
        sla = sla_rules.TicketSla.start(now, sla_policy.targets_for(type, priority), calendar)
        ticket = cls(
            id=ticket_id or new_id("tkt"), ticket_number=ticket_number.strip(), type=type, category=category.strip(),
            channel=channel, customer_id=customer_id, subject=subject.strip(), description=description,
            impact=impact, urgency=urgency, priority=priority, policy_number=policy_number,
            branch_code=branch_code, agent_id=agent_id, queue_id=queue_id, created_at=now, updated_at=now,
            sla=sla,
            attachments=attachments,
        )
        ticket._log(opened_by, now, "opened", channel=channel)
        ticket.record("ticket.opened", ticket._payload(
            opened_by=opened_by, subject=ticket.subject, call_back_required=ticket.is_missed_call,
            created_at=iso_utc(now), first_response_due_at=iso_utc(sla.first_response_due_at),
            resolution_due_at=iso_utc(sla.resolution_due_at),
        ))
        return ticket

    @property
    def is_missed_call(self) -> bool:
        return self.channel == "phone" and self.category == tv.MISSED_CALL_CATEGORY

    # -- helpers ------------------------------------------------------------------------------

    def _payload(self, **extra: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "ticket_id": self.id, "ticket_number": self.ticket_number, "customer_id": self.customer_id,
            "type": self.type, "category": self.category, "channel": self.channel, "priority": self.priority,
            "queue_id": self.queue_id, "assignee_id": self.assignee_id, "branch_code": self.branch_code,
            "policy_number": self.policy_number, "status": self.status, "agent_id": self.agent_id,
        }
        base.update(extra)
        return base

    def _log(self, actor_id: str, now: dt.datetime, action: str, **detail: Any) -> None:
        self.activity.append(ActivityEntry(now, actor_id, action, detail))
        self.updated_at = now

    def _refuse(self, message: str) -> InvalidTransition:
        return InvalidTransition(message, code=INVALID_TRANSITION, metadata={"status": self.status})

    def _require_not_closed(self, action: str) -> None:
        if self.status == CLOSED:
            raise self._refuse(f"a closed ticket cannot be {action}")

    # -- lifecycle ----------------------------------------------------------------------------

    def can_reopen(self, now: dt.datetime, reopen_period: dt.timedelta = DEFAULT_REOPEN_PERIOD) -> bool:
        """Resolved, and no more than ``reopen_period`` since resolution (the boundary itself counts)."""
        return self.status == RESOLVED and self.resolved_at is not None and to_utc(now) - self.resolved_at <= reopen_period

    def auto_close_due(self, now: dt.datetime, reopen_period: dt.timedelta = DEFAULT_REOPEN_PERIOD) -> bool:
        """True once the reopen window has passed: a sweep may close the ticket."""
        return self.status == RESOLVED and self.resolved_at is not None and to_utc(now) - self.resolved_at > reopen_period

    def change_status(
        self, to: str, *, actor_id: str, now: dt.datetime, note: str = "",
        reopen_period: dt.timedelta = DEFAULT_REOPEN_PERIOD,
    ) -> None:
        """Move along the state machine; refuses anything else with ``TICKET_INVALID_TRANSITION``."""
        now = to_utc(now)
        before = self.status
        if to not in TRANSITIONS:
            raise ValidationError.single("status", "unknown ticket status")
        if to not in TRANSITIONS[before]:
            raise self._refuse(f"a ticket cannot go from {before} to {to}")
        if before == RESOLVED and to == OPEN and not self.can_reopen(now, reopen_period):
            raise self._refuse(f"the reopen period of {reopen_period.days} days after resolution has passed")
        assert self.sla is not None
        # The clock runs only while new/open; closing keeps the "resolved" pause for good.
        clock = self.sla.clock
        if to in (OPEN, RESOLVED):
            clock = clock.resumed(now)
        if to == PENDING_CUSTOMER:
            clock = clock.paused(now, sla_rules.PAUSE_PENDING_CUSTOMER)
        elif to == RESOLVED:
            clock = clock.paused(now, sla_rules.PAUSE_RESOLVED)
        self.sla.clock = clock
        self.status = to
        self._log(actor_id, now, "status_changed", from_status=before, to_status=to, note=note)
        stamp = iso_utc(now)
        if to == RESOLVED:
            self.resolved_at = now
            self.record("ticket.resolved", self._payload(
                resolved_by=actor_id, resolved_at=stamp, created_at=iso_utc(self.created_at),
                first_responded_at=iso_utc(self.first_responded_at), reopen_count=self.reopen_count,
                breached_resolution=self.sla.breached_resolution, resolution_note=note,
            ))
        elif to == CLOSED:
            self.closed_at = now
            self.record("ticket.closed", self._payload(closed_by=actor_id, closed_at=stamp, resolved_at=iso_utc(self.resolved_at)))
        elif before == RESOLVED:
            self.reopen_count += 1
            self.record("ticket.reopened", self._payload(
                reopened_by=actor_id, reopened_at=stamp, reopen_count=self.reopen_count, reason=note,
                previously_resolved_at=iso_utc(self.resolved_at),
            ))
            self.resolved_at = None
        else:
            self.record("ticket.status_changed", self._payload(
                from_status=before, to_status=to, changed_by=actor_id, changed_at=stamp,
            ))

    def start_work(self, actor_id: str, now: dt.datetime) -> None:
        self.change_status(OPEN, actor_id=actor_id, now=now)

    def wait_for_customer(self, actor_id: str, now: dt.datetime, note: str = "") -> None:
        self.change_status(PENDING_CUSTOMER, actor_id=actor_id, now=now, note=note)

    def resolve(self, actor_id: str, now: dt.datetime, note: str = "") -> None:
        self.change_status(RESOLVED, actor_id=actor_id, now=now, note=note)

    def reopen(self, actor_id: str, now: dt.datetime, reason: str = "", reopen_period: dt.timedelta = DEFAULT_REOPEN_PERIOD) -> None:
        if self.status != RESOLVED:
            raise self._refuse(f"only a resolved ticket can be reopened, not one that is {self.status}")
        self.change_status(OPEN, actor_id=actor_id, now=now, note=reason, reopen_period=reopen_period)

    def close(self, actor_id: str, now: dt.datetime) -> None:
        self.change_status(CLOSED, actor_id=actor_id, now=now)

    # -- work ---------------------------------------------------------------------------------

    def assign(self, assignee_id: str | None, *, actor_id: str, now: dt.datetime, queue_id: str | None = None) -> None:
        """Give the ticket to an agent (and/or move it to a queue); a new ticket becomes open."""
        self._require_not_closed("reassigned")
        now = to_utc(now)
        previous, previous_queue = self.assignee_id, self.queue_id
        if queue_id is not None:
            self.queue_id = queue_id
        if assignee_id == previous and self.queue_id == previous_queue:
            return
        self.assignee_id = assignee_id
        self._log(actor_id, now, "assigned", assignee_id=assignee_id, previous_assignee_id=previous, queue_id=self.queue_id)
        self.record("ticket.assigned", self._payload(
            previous_assignee_id=previous, previous_queue_id=previous_queue, assigned_by=actor_id, assigned_at=iso_utc(now),
        ))
        if self.status == NEW and assignee_id is not None:
            self.change_status(OPEN, actor_id=actor_id, now=now)

    def add_reply(self, author_id: str, body: str, *, public: bool, now: dt.datetime, from_customer: bool = False) -> Reply:
        """A reply or internal note. The first public staff reply is the first response; a
        customer's reply to a ticket waiting on them puts it back to open (clock resumes)."""
        self._require_not_closed("replied to")
        problems = Violations()
        validate_text(problems, "body", body, tv.MAX_REPLY_BODY)
        if from_customer and not public:
            problems.add("public", "a customer's message is always public")
        problems.raise_if_any()
        now = to_utc(now)
        reply = Reply(self.id, author_id, body, public, now, from_customer)
        self._log(author_id, now, "replied" if public else "noted", from_customer=from_customer)
        if from_customer:
            if self.status == PENDING_CUSTOMER:
                self.change_status(OPEN, actor_id=author_id, now=now)
        elif public:
            if self.first_responded_at is None:
                self.first_responded_at = now
            if self.status == NEW:
                self.change_status(OPEN, actor_id=author_id, now=now)
        return reply

    def add_attachment(self, attachment: Attachment, *, actor_id: str, now: dt.datetime) -> None:
        self._require_not_closed("changed")
        problems = Violations()
        if len(self.attachments) >= tv.MAX_ATTACHMENTS:
            problems.add("attachments", f"at most {tv.MAX_ATTACHMENTS} attachments")
        attachment.validate(problems, "attachment")
        problems.raise_if_any()
        self.attachments.append(attachment)
        self._log(actor_id, to_utc(now), "attachment_added", name=attachment.name, size_bytes=attachment.size_bytes)

    def reprioritise(
        self, impact: str, urgency: str, *, actor_id: str, now: dt.datetime, calendar: BusinessCalendar,
        sla_policy: sla_rules.SlaPolicy = sla_rules.DEFAULT_SLA_POLICY,
    ) -> None:
        """New impact/urgency: new priority and SLA targets on the same clock."""
        self._require_not_closed("reprioritised")
        priority = priority_for(impact, urgency)
        before = self.priority
        self.impact, self.urgency, self.priority = impact, urgency, priority
        assert self.sla is not None
        self.sla.retarget(sla_policy.targets_for(self.type, priority), calendar)
        self._log(actor_id, to_utc(now), "reprioritised", from_priority=before, to_priority=priority)

    def record_satisfaction(self, score: int, comment: str | None, *, now: dt.datetime) -> None:
        """The customer's 1–5 rating after resolution; a later answer replaces an earlier one."""
        if self.status not in (RESOLVED, CLOSED):
            raise self._refuse("satisfaction is asked for only after resolution")
        problems = Violations()
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            problems.add("satisfaction_score", "must be a whole number from 1 to 5")
        if comment is not None:
            validate_text(problems, "satisfaction_comment", comment, tv.MAX_SATISFACTION_COMMENT, required=False)
        problems.raise_if_any()
        now = to_utc(now)
        self.satisfaction_score, self.satisfaction_comment = score, comment or None
        self._log(self.customer_id, now, "satisfaction_recorded", score=score)
        self.record("ticket.satisfaction_recorded", self._payload(
            satisfaction_score=score, has_comment=bool(comment), recorded_at=iso_utc(now),
        ))

    def repoint_customer(self, old_customer_id: str, new_customer_id: str, *, now: dt.datetime) -> bool:
        """``customer.merged``: move the ticket to the surviving customer (closed tickets too)."""
        if self.customer_id != old_customer_id or old_customer_id == new_customer_id:
            return False
        self.customer_id = new_customer_id
        self._log("system", to_utc(now), "customer_repointed", from_customer_id=old_customer_id, to_customer_id=new_customer_id)
        return True

    def follow_customer_owner(self, agent_id: str | None, branch_code: str | None, *, now: dt.datetime) -> bool:
        """``customer.assigned``: the ticket is seen by the customer's agent and branch, so it moves
        with the customer (closed tickets too: the new agent sees the history). The queue and the
        assignee stay: who works the ticket is a routing decision, not the customer's."""
        agent_id, branch_code = agent_id or self.agent_id, branch_code or self.branch_code
        if (agent_id, branch_code) == (self.agent_id, self.branch_code):
            return False
        self._log("system", to_utc(now), "customer_reassigned", from_agent_id=self.agent_id, to_agent_id=agent_id,
                  from_branch_code=self.branch_code, to_branch_code=branch_code)
        self.agent_id, self.branch_code = agent_id, branch_code
        return True

    # -- SLA ----------------------------------------------------------------------------------

    def sla_state(
        self, now: dt.datetime, calendar: BusinessCalendar, policy: sla_rules.SlaPolicy = sla_rules.DEFAULT_SLA_POLICY
    ) -> sla_rules.SlaStatus:
        return sla_rules.sla_state(self, now, calendar, policy)

    def evaluate_sla(
        self, now: dt.datetime, calendar: BusinessCalendar, policy: sla_rules.SlaPolicy = sla_rules.DEFAULT_SLA_POLICY
    ) -> list[DomainEvent]:
        """The sweep step: records each new warning/breach/escalation/progress event exactly once."""
        if self.status not in ACTIVE_STATUSES and self.status != RESOLVED:
            return []
        events: list[DomainEvent] = []
        findings = sla_rules.evaluate(self, now, calendar, policy)
        evaluated_at = iso_utc(to_utc(now)) if findings else None
        for finding in findings:
            state = finding.state
            common = dict(
                target=finding.target, target_minutes=state.target_minutes, elapsed_minutes=state.elapsed_minutes,
                due_at=iso_utc(state.due_at), evaluated_at=evaluated_at,
            )
            if finding.kind == sla_rules.WARNING:
                notify = policy.notify_assignee_on_warning and self.assignee_id is not None
                events.append(self.record("ticket.sla_warning", self._payload(**common, notify_assignee=notify)))
            elif finding.kind == sla_rules.BREACHED:
                events.append(self.record("ticket.sla_breached", self._payload(**common, met_late=state.met)))
            elif finding.kind == "escalated":
                events.append(self.record("ticket.escalated", self._payload(
                    **common, escalation_level=finding.escalation_level, escalate_to=finding.escalate_to,
                )))
                self._log("system", to_utc(now), "escalated", level=finding.escalation_level, escalate_to=finding.escalate_to)
            else:
                events.append(self.record("ticket.customer_progress_due", self._payload(**common)))
        return events
