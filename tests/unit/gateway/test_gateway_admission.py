"""Admission control: a bounded number of requests inside the gateway, a bounded wait, then 503 OVERLOADED."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from peyvand_gateway.entrypoints.admission import Admission, Overloaded
from peyvand_gateway.entrypoints.metrics import SHED_REQUESTS
from peyvand_gateway.entrypoints.middleware import GatewayMiddleware
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_slots_are_taken_then_handed_to_waiters_in_arrival_order() -> None:
    async def scenario() -> list[str]:
        admission = Admission(limit=2, max_wait=5, max_queue=10)
        order: list[str] = []
        await admission.acquire()
        await admission.acquire()
        assert admission.active == 2

        async def wait(name: str) -> None:
            await admission.acquire()
            order.append(name)

        first, second = asyncio.create_task(wait("first")), asyncio.create_task(wait("second"))
        await asyncio.sleep(0.01)
        assert admission.waiting == 2 and order == []
        admission.release()
        await asyncio.sleep(0.01)
        assert order == ["first"] and admission.active == 2  # the slot went over, not back to the pool
        admission.release()
        await asyncio.gather(first, second)
        admission.release()
        admission.release()
        assert admission.active == 0 and admission.waiting == 0
        return order

    assert run(scenario()) == ["first", "second"]


def test_a_request_that_waits_too_long_is_refused_and_leaves_no_trace() -> None:
    async def scenario() -> None:
        admission = Admission(limit=1, max_wait=0.05, max_queue=10)
        await admission.acquire()
        before = SHED_REQUESTS.labels("wait_timeout")._value.get()
        with pytest.raises(Overloaded) as refused:
            await admission.acquire()
        assert refused.value.reason == "wait_timeout"
        assert SHED_REQUESTS.labels("wait_timeout")._value.get() == before + 1
        assert admission.waiting == 0 and admission.active == 1
        admission.release()
        assert admission.active == 0
        await admission.acquire()  # free again at once
        assert admission.active == 1

    run(scenario())


def test_a_full_queue_refuses_at_once() -> None:
    async def scenario() -> None:
        admission = Admission(limit=1, max_wait=5, max_queue=1)
        await admission.acquire()
        waiter = asyncio.create_task(admission.acquire())
        await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        began = loop.time()
        with pytest.raises(Overloaded) as refused:
            await admission.acquire()
        assert refused.value.reason == "queue_full"
        assert loop.time() - began < 1  # not after the 5 s wait
        admission.release()
        await waiter
        admission.release()
        assert admission.active == 0

    run(scenario())


def test_a_waiter_that_goes_away_does_not_keep_or_lose_a_slot() -> None:
    async def scenario() -> None:
        admission = Admission(limit=1, max_wait=5, max_queue=10)
        await admission.acquire()
        gone = asyncio.create_task(admission.acquire())
        await asyncio.sleep(0.01)
        gone.cancel()  # the client disconnected while waiting
        with pytest.raises(asyncio.CancelledError):
            await gone
        assert admission.waiting == 0
        admission.release()
        assert admission.active == 0  # the slot was not handed to the departed waiter

    run(scenario())


def test_a_slot_handed_over_as_the_waiter_gives_up_is_passed_on() -> None:
    async def scenario() -> None:
        admission = Admission(limit=1, max_wait=5, max_queue=10)
        await admission.acquire()
        gone = asyncio.create_task(admission.acquire())
        await asyncio.sleep(0.01)
        admission.release()  # hands the slot to ``gone``...
        gone.cancel()  # ...which is cancelled before it runs again
        with pytest.raises(asyncio.CancelledError):
            await gone
        assert admission.active == 0 and admission.waiting == 0  # passed back, not leaked

    run(scenario())


def test_the_middleware_answers_the_excess_with_503_overloaded_and_keeps_probes_open() -> None:
    async def scenario() -> None:
        release = asyncio.Event()

        async def slow(_request: Request) -> PlainTextResponse:
            await release.wait()
            return PlainTextResponse("done")

        async def livez(_request: Request) -> PlainTextResponse:
            return PlainTextResponse("ok")

        inner = Starlette(routes=[Route("/api/v1/slow", slow), Route("/livez", livez)])
        app = GatewayMiddleware(inner, admission=Admission(limit=1, max_wait=0.05, max_queue=10))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            first = asyncio.create_task(client.get("/api/v1/slow"))
            await asyncio.sleep(0.05)
            refused = await client.get("/api/v1/slow", headers={"x-request-id": "req-overload-1"})
            assert refused.status_code == 503
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.headers["retry-after"] == "1"
            assert refused.headers["x-request-id"] == "req-overload-1"
            body = refused.json()
            assert body["code"] == "OVERLOADED" and body["status"] == 503 and body["request_id"] == "req-overload-1"
            assert (await client.get("/livez")).status_code == 200  # probes are never shed
            release.set()
            assert (await first).text == "done"
            assert (await client.get("/api/v1/slow")).status_code == 200  # the slot came back

    run(scenario())
