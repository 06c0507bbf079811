"""Ticket priority from the ITIL impact × urgency matrix (P1 most urgent … P5 least)."""

from __future__ import annotations

from peyvand_runtime.domain import Violations

LEVELS = ("high", "medium", "low")
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")

# The standard five-level ITIL table: each step down in impact or urgency lowers priority by one.
_MATRIX: dict[tuple[str, str], str] = {
    (impact, urgency): PRIORITIES[i + u]
    for i, impact in enumerate(LEVELS)
    for u, urgency in enumerate(LEVELS)
}


def validate_impact_urgency(impact: str, urgency: str, violations: Violations, prefix: str = "") -> None:
    """Adds a violation naming ``impact`` / ``urgency`` for values outside high/medium/low."""
    if impact not in LEVELS:
        violations.add(f"{prefix}impact", "must be one of high, medium, low")
    if urgency not in LEVELS:
        violations.add(f"{prefix}urgency", "must be one of high, medium, low")


def priority_for(impact: str, urgency: str) -> str:
    """``P1`` for high/high down to ``P5`` for low/low; raises ValidationError for unknown levels."""
    problems = Violations()
    validate_impact_urgency(impact, urgency, problems)
    problems.raise_if_any()
    return _MATRIX[(impact, urgency)]


def priority_rank(priority: str) -> int:
    """1 for P1 … 5 for P5 (for sorting most urgent first)."""
    return PRIORITIES.index(priority) + 1
