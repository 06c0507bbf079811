"""Queues and who gets the next ticket: round-robin or least-loaded among available, skilled members."""

from __future__ import annotations

from dataclasses import dataclass, replace

from peyvand_runtime.domain import ValidationError, Violations

ROUND_ROBIN = "round_robin"
LEAST_LOADED = "least_loaded"
STRATEGIES = (ROUND_ROBIN, LEAST_LOADED)
ANY_CATEGORY = "*"


@dataclass(frozen=True)
class QueueMember:
    """An agent in a queue: available right now, categories they handle, open tickets they hold."""

    user_id: str
    available: bool = True
    skills: frozenset[str] = frozenset({ANY_CATEGORY})
    load: int = 0
    max_load: int | None = None

    def handles(self, category: str) -> bool:
        return ANY_CATEGORY in self.skills or category in self.skills

    @property
    def has_capacity(self) -> bool:
        return self.max_load is None or self.load < self.max_load


@dataclass(frozen=True)
class Queue:
    """A work queue of one branch and team (e.g. branch 1021, claims desk)."""

    id: str
    name: str
    branch_code: str
    team: str
    members: tuple[QueueMember, ...] = ()
    strategy: str = ROUND_ROBIN
    lead_user_id: str | None = None

    def member(self, user_id: str) -> QueueMember | None:
        return next((m for m in self.members if m.user_id == user_id), None)


@dataclass(frozen=True)
class RoundRobinState:
    """Where the rotation stopped; the adapter stores it per queue (-1 = nobody yet)."""

    last_index: int = -1


@dataclass(frozen=True)
class AssignmentDecision:
    assignee_id: str | None
    state: RoundRobinState
    reason: str = ""  # why nobody was chosen: empty when someone was

    @property
    def assigned(self) -> bool:
        return self.assignee_id is not None


def eligible_indexes(queue: Queue, category: str) -> list[int]:
    """Positions of members who are available, have room and handle the category."""
    return [i for i, m in enumerate(queue.members) if m.available and m.has_capacity and m.handles(category)]


def _nobody(queue: Queue, category: str, state: RoundRobinState) -> AssignmentDecision:
    if not queue.members:
        reason = "queue_has_no_members"
    elif not any(m.handles(category) for m in queue.members):
        reason = "no_member_with_skill"
    else:
        reason = "no_member_available"
    return AssignmentDecision(None, state, reason)


def round_robin(queue: Queue, category: str, state: RoundRobinState) -> AssignmentDecision:
    """The next eligible member after the last one chosen, wrapping around the member list."""
    candidates = eligible_indexes(queue, category)
    if not candidates:
        return _nobody(queue, category, state)
    chosen = next((i for i in candidates if i > state.last_index), candidates[0])
    return AssignmentDecision(queue.members[chosen].user_id, RoundRobinState(chosen))


def least_loaded(queue: Queue, category: str, state: RoundRobinState) -> AssignmentDecision:
    """The eligible member with the fewest open tickets; ties continue the rotation fairly."""
    candidates = eligible_indexes(queue, category)
    if not candidates:
        return _nobody(queue, category, state)
    size = len(queue.members)
    # Tie-break by distance after the last chosen position so equal loads still rotate.
    chosen = min(candidates, key=lambda i: (queue.members[i].load, (i - state.last_index - 1) % size))
    return AssignmentDecision(queue.members[chosen].user_id, RoundRobinState(chosen))


def choose_assignee(queue: Queue, category: str, state: RoundRobinState = RoundRobinState()) -> AssignmentDecision:
    """Apply the queue's strategy. Nobody eligible -> ``assignee_id`` None: the ticket waits in the queue."""
    if queue.strategy == LEAST_LOADED:
        return least_loaded(queue, category, state)
    if queue.strategy == ROUND_ROBIN:
        return round_robin(queue, category, state)
    raise ValidationError.single("strategy", "must be one of " + ", ".join(STRATEGIES))


def validate_manual_assignment(queue: Queue, assignee_id: str, category: str, *, override: bool = False) -> None:
    """A person picking the assignee: must be a queue member; unavailable, full or unskilled
    members are refused unless a lead overrides (``override``)."""
    problems = Violations()
    member = queue.member(assignee_id)
    if member is None:
        problems.add("assignee_id", "is not a member of the queue")
    elif not override:
        if not member.available:
            problems.add("assignee_id", "is not available")
        if not member.has_capacity:
            problems.add("assignee_id", "has reached their maximum load")
        if not member.handles(category):
            problems.add("assignee_id", "does not handle this category")
    problems.raise_if_any()


def with_load_change(queue: Queue, user_id: str, delta: int) -> Queue:
    """The queue after a member gained (+1) or finished (-1) a ticket; load never below zero."""
    members = tuple(replace(m, load=max(m.load + delta, 0)) if m.user_id == user_id else m for m in queue.members)
    return replace(queue, members=members)
