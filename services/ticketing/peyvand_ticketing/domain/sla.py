"""SLA policies, pausable business-time clocks and the once-only warning/breach/escalation rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from peyvand_runtime.domain import ValidationError

from .business_calendar import BusinessCalendar, to_utc

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
OK, WARNING, BREACHED = "ok", "warning", "breached"
PAUSE_PENDING_CUSTOMER = "pending_customer"
PAUSE_RESOLVED = "resolved"
ESCALATE_TO = {1: "queue_lead", 2: "branch_manager"}

HOUR = 60
DAY = 8 * HOUR  # one full Saturday–Wednesday business day


@dataclass(frozen=True)
class SlaTargets:
    """Business minutes allowed until the first public reply and until resolution."""

    first_response_minutes: int
    resolution_minutes: int


# Defaults per ticket type and priority: (first response, resolution) in business minutes,
# a full day being 8 h (Thursday 4 h). Incidents follow common ITIL service-desk practice.
# Complaints: the insurer's own complaints unit is the first instance before the regulator
# (Central Insurance of Iran, بیمه مرکزی ج.ا.ا; policyholder-protection rules, آیین‌نامه ۷۱
# شورای عالی بیمه). We did not verify a binding deadline here, so complaints default to a
# reply within one business day (faster at P1/P2) and resolution within 10 business days;
# compliance must confirm and correct this table per insurer (configuration, not law).
_TABLE: dict[str, tuple[tuple[int, int], ...]] = {
    #                  P1                P2                  P3                  P4                 P5
    "incident": ((30, 4 * HOUR), (HOUR, DAY), (4 * HOUR, 3 * DAY), (DAY, 5 * DAY), (2 * DAY, 10 * DAY)),
    "service_request": ((HOUR, DAY), (2 * HOUR, 2 * DAY), (DAY, 5 * DAY), (2 * DAY, 10 * DAY), (3 * DAY, 15 * DAY)),
    "claim_inquiry": ((HOUR, DAY), (2 * HOUR, 2 * DAY), (4 * HOUR, 4 * DAY), (DAY, 6 * DAY), (2 * DAY, 10 * DAY)),
    "complaint": ((HOUR, 5 * DAY), (2 * HOUR, 10 * DAY), (DAY, 10 * DAY), (DAY, 10 * DAY), (DAY, 10 * DAY)),
}
DEFAULT_TARGETS: dict[tuple[str, str], SlaTargets] = {
    (ticket_type, f"P{rank}"): SlaTargets(response, resolution)
    for ticket_type, row in _TABLE.items()
    for rank, (response, resolution) in enumerate(row, start=1)
}


@dataclass(frozen=True)
class SlaPolicy:
    """Targets plus the ladder: warn at ``warning_percent`` of a target, escalate on breach,
    escalate again to the branch manager ``branch_manager_after_minutes`` business minutes later."""

    targets: Mapping[tuple[str, str], SlaTargets] = field(default_factory=lambda: dict(DEFAULT_TARGETS))
    warning_percent: int = 80
    branch_manager_after_minutes: int = 4 * HOUR
    notify_assignee_on_warning: bool = True

    def targets_for(self, ticket_type: str, priority: str) -> SlaTargets:
        try:
            return self.targets[(ticket_type, priority)]
        except KeyError:
            raise ValidationError.single("priority", f"no SLA target for {ticket_type} {priority}") from None

    def warning_minutes(self, target_minutes: int) -> int:
        return target_minutes * self.warning_percent // 100  # round down: warn early, never late


DEFAULT_SLA_POLICY = SlaPolicy()


@dataclass(frozen=True)
class Pause:
    """An interval the SLA clock stood still (open while ``ended_at`` is None)."""

    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    reason: str = PAUSE_PENDING_CUSTOMER


def elapsed_business_minutes(
    started_at: dt.datetime, pauses: tuple[Pause, ...] | list[Pause], until: dt.datetime, calendar: BusinessCalendar
) -> int:
    """Business minutes the clock ran from ``started_at`` to ``until``, paused intervals excluded."""
    until = to_utc(until)
    total = calendar.business_minutes_between(started_at, until)
    for pause in pauses:
        lo = max(to_utc(pause.started_at), to_utc(started_at))
        hi = until if pause.ended_at is None else min(to_utc(pause.ended_at), until)
        if hi > lo:
            total -= calendar.business_minutes_between(lo, hi)
    return max(total, 0)


def due_at(
    target_minutes: int, started_at: dt.datetime, pauses: tuple[Pause, ...] | list[Pause], calendar: BusinessCalendar
) -> dt.datetime | None:
    """When the clock reaches ``target_minutes``; None while paused before reaching it (unknown yet)."""
    remaining = target_minutes
    cursor = to_utc(started_at)
    for pause in sorted(pauses, key=lambda p: to_utc(p.started_at)):
        start = to_utc(pause.started_at)
        end = None if pause.ended_at is None else to_utc(pause.ended_at)
        if end is not None and end <= cursor:
            continue
        if start > cursor:
            running = calendar.business_minutes_between(cursor, start)
            if remaining <= running:
                return calendar.add_business_minutes(cursor, remaining)
            remaining -= running
        if end is None:
            return None
        cursor = max(cursor, end)
    return calendar.add_business_minutes(cursor, remaining)


@dataclass(frozen=True)
class SlaClock:
    """The running time of a ticket: started when opened, paused while waiting on the customer."""

    started_at: dt.datetime
    pauses: tuple[Pause, ...] = ()

    @property
    def is_paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].ended_at is None

    @property
    def pause_reason(self) -> str | None:
        return self.pauses[-1].reason if self.is_paused else None

    def paused(self, now: dt.datetime, reason: str = PAUSE_PENDING_CUSTOMER) -> SlaClock:
        if self.is_paused:
            return self
        return replace(self, pauses=self.pauses + (Pause(to_utc(now), None, reason),))

    def resumed(self, now: dt.datetime) -> SlaClock:
        if not self.is_paused:
            return self
        last = replace(self.pauses[-1], ended_at=to_utc(now))
        return replace(self, pauses=self.pauses[:-1] + (last,))

    def elapsed(self, until: dt.datetime, calendar: BusinessCalendar) -> int:
        return elapsed_business_minutes(self.started_at, self.pauses, until, calendar)

    def due_at(self, target_minutes: int, calendar: BusinessCalendar) -> dt.datetime | None:
        return due_at(target_minutes, self.started_at, self.pauses, calendar)


@dataclass
class TicketSla:
    """SLA state kept on the ticket; the flags make every warning/breach/escalation fire once."""

    first_response_minutes: int
    resolution_minutes: int
    clock: SlaClock
    first_response_due_at: dt.datetime | None = None
    resolution_due_at: dt.datetime | None = None
    warned_response: bool = False
    breached_response: bool = False
    warned_resolution: bool = False
    breached_resolution: bool = False
    escalation_level: int = 0
    progress_message_due_sent: bool = False

    @classmethod
    def start(cls, started_at: dt.datetime, targets: SlaTargets, calendar: BusinessCalendar) -> TicketSla:
        sla = cls(targets.first_response_minutes, targets.resolution_minutes, SlaClock(to_utc(started_at)))
        sla.refresh_due(calendar)
        return sla

    def retarget(self, targets: SlaTargets, calendar: BusinessCalendar) -> None:
        """New priority: new targets, same clock; flags stay so nothing is re-announced."""
        self.first_response_minutes = targets.first_response_minutes
        self.resolution_minutes = targets.resolution_minutes
        self.refresh_due(calendar)

    def refresh_due(self, calendar: BusinessCalendar) -> None:
        response_due = self.clock.due_at(self.first_response_minutes, calendar)
        if response_due is not None or self.first_response_due_at is None:
            self.first_response_due_at = response_due
        self.resolution_due_at = self.clock.due_at(self.resolution_minutes, calendar)


class SlaSubject(Protocol):
    """What the SLA rules read from a ticket (the Ticket aggregate satisfies it)."""

    @property
    def sla(self) -> TicketSla | None: ...

    @property
    def first_responded_at(self) -> dt.datetime | None: ...


def _sla_of(ticket: SlaSubject) -> TicketSla:
    if ticket.sla is None:
        raise ValueError("the ticket has no SLA clock")
    return ticket.sla


@dataclass(frozen=True)
class TargetState:
    target: str
    level: str
    elapsed_minutes: int
    target_minutes: int
    due_at: dt.datetime | None
    met: bool

    @property
    def overdue_minutes(self) -> int:
        return max(self.elapsed_minutes - self.target_minutes, 0)


@dataclass(frozen=True)
class SlaStatus:
    first_response: TargetState
    resolution: TargetState


def _level(elapsed: int, target: int, policy: SlaPolicy) -> str:
    # Breached only once strictly more than the target elapsed (minute resolution), so a reply
    # at the due minute is on time.
    if elapsed > target:
        return BREACHED
    if elapsed >= policy.warning_minutes(target):
        return WARNING
    return OK


def sla_state(
    ticket: SlaSubject, now: dt.datetime, calendar: BusinessCalendar, policy: SlaPolicy = DEFAULT_SLA_POLICY
) -> SlaStatus:
    """ok / warning / breached for the first-response and resolution targets at ``now``.

    A met target is judged at the moment it was met: the response clock stops at the first
    public reply, the resolution clock is paused (reason ``resolved``) while resolved.
    """
    sla, now = _sla_of(ticket), to_utc(now)
    responded = ticket.first_responded_at
    until = now if responded is None else min(to_utc(responded), now)
    elapsed = sla.clock.elapsed(until, calendar)
    met = (responded is not None and to_utc(responded) <= now) or sla.clock.pause_reason == PAUSE_RESOLVED
    # A met response keeps the due time it had; only a running target needs recomputing.
    response_due = sla.first_response_due_at if met and sla.first_response_due_at else None
    response = TargetState(
        FIRST_RESPONSE, _level(elapsed, sla.first_response_minutes, policy), elapsed, sla.first_response_minutes,
        response_due or sla.clock.due_at(sla.first_response_minutes, calendar) or sla.first_response_due_at, met,
    )
    elapsed = sla.clock.elapsed(now, calendar)
    resolution = TargetState(
        RESOLUTION, _level(elapsed, sla.resolution_minutes, policy), elapsed, sla.resolution_minutes,
        sla.clock.due_at(sla.resolution_minutes, calendar), sla.clock.pause_reason == PAUSE_RESOLVED,
    )
    return SlaStatus(response, resolution)


@dataclass(frozen=True)
class SlaFinding:
    """Something the sweep must announce: ``warning``, ``breached``, ``escalated`` or ``progress_message_due``."""

    kind: str
    target: str
    state: TargetState
    escalation_level: int = 0

    @property
    def escalate_to(self) -> str | None:
        return ESCALATE_TO.get(self.escalation_level)


def evaluate(
    ticket: SlaSubject, now: dt.datetime, calendar: BusinessCalendar, policy: SlaPolicy = DEFAULT_SLA_POLICY
) -> list[SlaFinding]:
    """New findings since the last sweep; sets the ticket's flags so a re-run finds nothing new.

    A warning not yet announced when the target is already breached is skipped (flag set
    silently). Escalation follows unmet breached targets only: level 1 (queue lead) at the
    breach, level 2 (branch manager) once ``branch_manager_after_minutes`` more have run.
    """
    sla = _sla_of(ticket)
    if (
        sla.breached_resolution and sla.progress_message_due_sent and sla.escalation_level >= 2
        and (sla.breached_response or ticket.first_responded_at is not None)
    ):
        return []  # the whole ladder has been climbed: nothing left to announce
    status = sla_state(ticket, now, calendar, policy)
    if status.first_response.due_at is not None:
        sla.first_response_due_at = status.first_response.due_at
    sla.resolution_due_at = status.resolution.due_at
    findings: list[SlaFinding] = []
    for state, warned, breached in (
        (status.first_response, "warned_response", "breached_response"),
        (status.resolution, "warned_resolution", "breached_resolution"),
    ):
        if state.level == BREACHED and not getattr(sla, breached):
            setattr(sla, breached, True)
            setattr(sla, warned, True)
            findings.append(SlaFinding(BREACHED, state.target, state))
        elif state.level == WARNING and not state.met and not getattr(sla, warned):
            setattr(sla, warned, True)
            findings.append(SlaFinding(WARNING, state.target, state))
    open_breaches = [s for s in (status.first_response, status.resolution) if s.level == BREACHED and not s.met]
    if open_breaches:
        worst = max(open_breaches, key=lambda s: s.overdue_minutes)
        wanted = 2 if worst.overdue_minutes >= policy.branch_manager_after_minutes else 1
        for level in range(sla.escalation_level + 1, wanted + 1):
            findings.append(SlaFinding("escalated", worst.target, worst, level))
        sla.escalation_level = max(sla.escalation_level, wanted)
    if status.resolution.level == BREACHED and not status.resolution.met and not sla.progress_message_due_sent:
        sla.progress_message_due_sent = True
        findings.append(SlaFinding("progress_message_due", RESOLUTION, status.resolution))
    return findings
