"""The ITIL impact × urgency priority matrix."""

from __future__ import annotations

import pytest
from peyvand_runtime.domain import ValidationError
from peyvand_ticketing.domain.priority import priority_for, priority_rank

MATRIX = {
    ("high", "high"): "P1", ("high", "medium"): "P2", ("high", "low"): "P3",
    ("medium", "high"): "P2", ("medium", "medium"): "P3", ("medium", "low"): "P4",
    ("low", "high"): "P3", ("low", "medium"): "P4", ("low", "low"): "P5",
}


@pytest.mark.parametrize(("impact", "urgency"), list(MATRIX))
def test_standard_itil_table(impact: str, urgency: str) -> None:
    assert priority_for(impact, urgency) == MATRIX[(impact, urgency)]


def test_unknown_levels_name_the_fields() -> None:
    with pytest.raises(ValidationError) as raised:
        priority_for("critical", "soon")
    assert [v.field for v in raised.value.violations] == ["impact", "urgency"]
    with pytest.raises(ValidationError) as raised:
        priority_for("high", "HIGH")
    assert [v.field for v in raised.value.violations] == ["urgency"]


def test_rank_sorts_most_urgent_first() -> None:
    assert sorted(["P3", "P1", "P5", "P2"], key=priority_rank) == ["P1", "P2", "P3", "P5"]
