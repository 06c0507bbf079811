"""The server interceptor builds a method's wrapped handler once when it is last in the chain."""

from __future__ import annotations

from typing import Any

import grpc
from peyvand_runtime.grpc_interceptors import PASS_THROUGH_METHODS, ServerSpineInterceptor

SECRET = "a-test-secret-that-is-long-enough-0123"


class _Details:
    def __init__(self, method: str) -> None:
        self.method, self.invocation_metadata = method, ()


def _continuation(asked: list[str]) -> Any:
    handlers = {
        "/probe.v1.Probe/Echo": grpc.unary_unary_rpc_method_handler(lambda request, context: request),
        next(iter(PASS_THROUGH_METHODS)): grpc.unary_stream_rpc_method_handler(lambda request, context: iter(())),
    }

    def continuation(details: _Details) -> grpc.RpcMethodHandler | None:
        asked.append(details.method)
        return handlers.get(details.method)

    return continuation


def test_a_known_method_is_wrapped_once_and_the_same_handler_answers_every_call() -> None:
    asked: list[str] = []
    spine = ServerSpineInterceptor(SECRET, cache_handlers=True)
    first = spine.intercept_service(_continuation(asked), _Details("/probe.v1.Probe/Echo"))
    again = [spine.intercept_service(_continuation(asked), _Details("/probe.v1.Probe/Echo")) for _ in range(3)]
    assert first is not None and all(h is first for h in again)
    assert asked == ["/probe.v1.Probe/Echo"]
    assert first.unary_unary is not None and first.unary_unary.__name__ == "answer_once"  # wrapped, not the raw behaviour


def test_unknown_methods_are_asked_every_time_and_not_kept() -> None:
    asked: list[str] = []
    spine = ServerSpineInterceptor(SECRET, cache_handlers=True)
    for _ in range(3):
        assert spine.intercept_service(_continuation(asked), _Details("/probe.v1.Probe/Nope")) is None
    assert asked == ["/probe.v1.Probe/Nope"] * 3
    assert spine._handlers == {}


def test_pass_through_methods_stay_unwrapped() -> None:
    asked: list[str] = []
    spine = ServerSpineInterceptor(SECRET, cache_handlers=True)
    method = next(iter(PASS_THROUGH_METHODS))
    handler = spine.intercept_service(_continuation(asked), _Details(method))
    assert handler is not None and handler.unary_stream.__name__ == "<lambda>"


def test_without_the_cache_every_call_asks_the_chain() -> None:
    asked: list[str] = []
    spine = ServerSpineInterceptor(SECRET)
    handlers = [spine.intercept_service(_continuation(asked), _Details("/probe.v1.Probe/Echo")) for _ in range(2)]
    assert asked == ["/probe.v1.Probe/Echo"] * 2
    assert handlers[0] is not handlers[1]
