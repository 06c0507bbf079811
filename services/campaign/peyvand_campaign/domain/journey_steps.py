"""Journey definitions: which notice window sends what, on which channel, with which template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from peyvand_runtime.domain import Violations

from .values import CHANNELS, EMAIL, MARKETING, PURPOSES, PUSH, SERVICE, SMS

RENEWAL, WINBACK, SURVEY, CROSS_SELL = "renewal", "winback", "survey", "cross_sell"
JOURNEY_KINDS: tuple[str, ...] = (RENEWAL, WINBACK, SURVEY, CROSS_SELL)
MESSAGE, AGENT_TASK = "message", "agent_task"
ACTIONS: tuple[str, ...] = (MESSAGE, AGENT_TASK)


@dataclass(frozen=True)
class JourneyStep:
    """What happens at one window. ``templates`` maps channel → template id (``tpl_…``) or the
    name of a built-in template the service seeds (``renewal.30.sms``)."""

    window: int
    action: str = MESSAGE
    channels: tuple[str, ...] = ()
    templates: Mapping[str, str] = field(default_factory=dict)
    task_due_in_days: int = 3  # agent tasks: due this many days after the step, never after term end


@dataclass(frozen=True)
class JourneyDefinition:
    """``end_window``: renewal completes when the window falls to it (days after term end as a
    negative number); other kinds when days since start reach it. ``None`` = never by time."""

    kind: str
    purpose: str
    steps: tuple[JourneyStep, ...]
    end_window: int | None = None

    def step_for(self, window: int) -> JourneyStep | None:
        return next((s for s in self.steps if s.window == window), None)

    @property
    def windows(self) -> tuple[int, ...]:
        return tuple(s.window for s in self.steps)

    def validate(self) -> None:
        """Configured definitions are checked when loaded; paths name ``steps[i].…``."""
        violations = Violations()
        if self.kind not in JOURNEY_KINDS:
            violations.add("kind", f"must be one of {', '.join(JOURNEY_KINDS)}")
        if self.purpose not in PURPOSES:
            violations.add("purpose", f"must be one of {', '.join(PURPOSES)}")
        seen: set[int] = set()
        for i, step in enumerate(self.steps):
            path = f"steps[{i}]"
            if step.window in seen:
                violations.add(f"{path}.window", "each window may have only one step")
            seen.add(step.window)
            if step.action not in ACTIONS:
                violations.add(f"{path}.action", "must be message or agent_task")
            elif step.action == MESSAGE:
                _check_message_step(violations, path, step)
            elif step.channels:
                violations.add(f"{path}.channels", "an agent task has no message channels")
            if step.task_due_in_days < 0:
                violations.add(f"{path}.task_due_in_days", "must be zero or more")
        violations.raise_if_any()


def _check_message_step(violations: Violations, path: str, step: JourneyStep) -> None:
    if not step.channels:
        violations.add(f"{path}.channels", "a message step needs at least one channel")
    if len(set(step.channels)) != len(step.channels):
        violations.add(f"{path}.channels", "a channel may appear once per step")
    for channel in step.channels:
        if channel not in CHANNELS:
            violations.add(f"{path}.channels", f"unknown channel {channel!r}")
        elif not step.templates.get(channel):
            violations.add(f"{path}.templates.{channel}", "a template is required for each channel")


def _message(window: int, kind: str, channels: Sequence[str]) -> JourneyStep:
    return JourneyStep(window, MESSAGE, tuple(channels),
                       MappingProxyType({c: f"{kind}.{window}.{c}" for c in channels}))


# Built-in defaults; an insurer can replace the step list (same shape) through configuration.
RENEWAL_DEFINITION = JourneyDefinition(RENEWAL, SERVICE, (
    _message(30, RENEWAL, [SMS]),
    _message(15, RENEWAL, [EMAIL]),
    JourneyStep(7, AGENT_TASK),
    _message(1, RENEWAL, [SMS, PUSH]),
), end_window=-30)
WINBACK_DEFINITION = JourneyDefinition(WINBACK, MARKETING, (
    _message(3, WINBACK, [SMS]),
    _message(14, WINBACK, [EMAIL]),
    JourneyStep(21, AGENT_TASK, task_due_in_days=7),
), end_window=60)
SURVEY_DEFINITION = JourneyDefinition(SURVEY, SERVICE, (_message(0, SURVEY, [SMS]),), end_window=7)
CROSS_SELL_DEFINITION = JourneyDefinition(CROSS_SELL, MARKETING, (), end_window=30)

DEFINITIONS: Mapping[str, JourneyDefinition] = MappingProxyType({
    d.kind: d for d in (RENEWAL_DEFINITION, WINBACK_DEFINITION, SURVEY_DEFINITION, CROSS_SELL_DEFINITION)
})
