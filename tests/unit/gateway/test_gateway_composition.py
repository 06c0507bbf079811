"""Composing one answer from parts: a part that answers several values (profile + timeline)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import grpc
import pytest
from peyvand_gateway.service_layer.composition import Part, compose, compose_async


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
    part = Part(
        "profile", "customer", lambda _t: _Answered(response), lambda r: r["customer"], also=(("timeline", lambda r: list(r["timeline"])),)
    )
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


class _Later:
    """A stand-in for a grpc future answered by another thread after ``delay`` seconds (or
    never): callbacks run on that thread, or at once when added after the answer, as gRPC's do."""

    def __init__(self, response: Any, delay: float | None) -> None:
        self.response = response
        self.cancelled = False
        self._done = threading.Event()
        self._callbacks: list[Any] = []
        self._lock = threading.Lock()
        if delay is not None:
            threading.Timer(delay, self._answer).start()

    def _answer(self) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self._done.set()
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback(self)

    def add_done_callback(self, callback: Any) -> None:
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    def result(self, timeout: float | None = None) -> Any:
        if not self._done.wait(timeout):
            raise grpc.FutureTimeoutError()
        if self.cancelled:
            raise grpc.FutureCancelledError()
        return self.response

    def cancel(self) -> None:
        self.cancelled = True
        self._answer()


def test_composed_on_the_event_loop_every_part_arrives_and_nothing_blocks_the_loop() -> None:
    async def run() -> tuple[Any, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        beat = asyncio.create_task(ticker())
        profile = Part(
            "profile",
            "customer",
            lambda _t: _Later({"customer": "C", "timeline": ["e"]}, 0.1),
            lambda r: r["customer"],
            also=(("timeline", lambda r: r["timeline"]),),
        )
        policies = Part("policies", "policy", lambda _t: _Later(["p"], 0.0), list)
        answered = Part("messages", "campaign", lambda _t: _Answered(["m"]), list)
        composed = await compose_async([profile, policies, answered], 1.0)
        beat.cancel()
        return composed, ticks

    composed, ticks = asyncio.run(run())
    assert composed.values == {"profile": "C", "timeline": ["e"], "policies": ["p"], "messages": ["m"]}
    assert composed.degraded == []
    assert ticks >= 5  # the loop kept turning while the 100 ms part was awaited


def test_composed_on_the_event_loop_a_late_part_is_cancelled_at_the_deadline_and_named() -> None:
    late = _Later("never", None)
    began = time.monotonic()
    composed = asyncio.run(
        compose_async(
            [Part("tickets", "ticketing", lambda _t: late, list), Part("policies", "policy", lambda _t: _Later(["p"], 0.01), list)], 0.2
        )
    )
    took = time.monotonic() - began
    assert 0.15 <= took < 1.0, took  # waited for the deadline, not past it
    assert late.cancelled
    assert composed.values == {"policies": ["p"]}
    assert composed.degraded == ["tickets"] and composed.missing_services == {"ticketing"}
    assert composed.failures["tickets"].details.status_code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_a_part_with_a_second_stage_is_refused_on_the_event_loop() -> None:
    part = Part("policies", "policy", lambda _t: _Answered([]), list, then=lambda r, _left: r)
    with pytest.raises(ValueError, match="second stage"):
        asyncio.run(compose_async([part], 1.0))
