"""Composing one answer from parts: a part that answers several values (profile + timeline)."""

from __future__ import annotations

from typing import Any

import grpc
from peyvand_gateway.service_layer.composition import Part, compose


class _Answered:
    def __init__(self, response: Any) -> None:
        self.response = response

    def result(self, timeout: float | None = None) -> Any:
        return self.response


class _TimedOut:
    cancelled = False

    def result(self, timeout: float | None = None) -> Any:
        raise grpc.FutureTimeoutError()

    def cancel(self) -> None:
        self.cancelled = True


def test_a_part_answers_its_also_values_from_the_same_response() -> None:
    response = {"customer": "C", "timeline": ["e2", "e1"]}
    part = Part("profile", "customer", lambda _t: _Answered(response), lambda r: r["customer"], also=(("timeline", lambda r: list(r["timeline"])),))
    composed = compose([part, Part("policies", "policy", lambda _t: _Answered(["p"]), list)], 1.0)
    assert composed.values == {"profile": "C", "timeline": ["e2", "e1"], "policies": ["p"]}
    assert composed.degraded == [] and composed.missing_services == set()


def test_when_the_call_fails_every_value_it_answers_is_degraded() -> None:
    late = _TimedOut()
    part = Part("profile", "customer", lambda _t: late, lambda r: r, also=(("timeline", lambda r: r),))
    composed = compose([part, Part("policies", "policy", lambda _t: _Answered(["p"]), list)], 0.5)
    assert late.cancelled
    assert composed.values == {"policies": ["p"]}
    assert composed.degraded == ["profile", "timeline"] and composed.missing_services == {"customer"}
    assert composed.failures["timeline"].details.status_code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_an_also_value_that_cannot_be_presented_takes_the_part_with_it() -> None:
    def broken(_response: Any) -> Any:
        raise KeyError("timeline")

    part = Part("profile", "customer", lambda _t: _Answered({"customer": "C"}), lambda r: r["customer"], also=(("timeline", broken),))
    composed = compose([part], 1.0)
    assert composed.values == {}
    assert composed.degraded == ["profile", "timeline"]
    assert composed.failures["profile"].details.status_code == grpc.StatusCode.INTERNAL
