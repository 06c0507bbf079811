"""Runs a service's nameko event handlers in their own process (never beside a gRPC server).

Call ``run_worker`` from a ``peyvand_<svc>.entrypoints.worker_main`` module *after*
``eventlet.monkey_patch()`` has run as that module's first statement.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from typing import Any

import eventlet
from nameko.runners import ServiceRunner

from peyvand_runtime import consumer, logs, store, tracing
from peyvand_runtime.inbox import Inbox
from peyvand_runtime.metrics_http import start_metrics_server
from peyvand_runtime.settings import WorkerSettings

log = logging.getLogger(__name__)


def nameko_config(settings: WorkerSettings) -> dict[str, Any]:
    return {
        "AMQP_URI": settings.amqp_uri,
        "max_workers": settings.consumer_prefetch,
        "parent_calls_tracked": 10,
        "serializer": "json",
        "HEARTBEAT": 30,
    }


def run_worker(
    service: str,
    service_cls: type,
    settings: WorkerSettings,
    on_ready: Callable[[], None] | None = None,
    install: Callable[[Any], None] | None = None,
) -> None:
    logs.configure(f"{service}-worker", settings.log_level)
    tracing.configure(f"{service}-worker")  # no-op unless OTEL_TRACES_ENABLED=true
    database = store.connect(service, settings)
    if install:
        install(database)
    Inbox(database, "-").ensure_indexes()
    consumer.configure(database, settings.amqp_uri, settings.consumer_max_attempts, settings.consumer_retry_delay_ms)
    consuming = eventlet.event.Event()
    # Ready only once nameko has declared and bound its queues: events published before
    # that would be routed nowhere.
    start_metrics_server(settings.metrics_port, readiness=lambda: consuming.ready() and store.store_is_reachable(database))
    runner = ServiceRunner(nameko_config(settings))
    runner.add_service(service_cls)
    stopping = eventlet.event.Event()

    def _stop(signum: int, _frame: Any) -> None:
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runner.start()
    died: list[BaseException] = []

    def _watch_containers() -> None:
        # A container that died (one of its threads raised) leaves the process alive but
        # consuming nothing: end the process instead, so its supervisor starts a fresh one.
        try:
            runner.wait()
        except Exception as exc:
            died.append(exc)
            if not stopping.ready():
                stopping.send(-1)

    eventlet.spawn(_watch_containers)
    consuming.send(True)
    log.info("worker consuming", extra={"service": service})
    if on_ready:
        on_ready()
    stopping.wait()
    if died:
        log.error("worker container died; exiting so it can be restarted", extra={"error": type(died[0]).__name__})
        raise SystemExit(1)
    log.info("worker stopping")
    try:
        with eventlet.Timeout(10):
            runner.stop()
    except eventlet.Timeout:
        log.warning("worker did not stop in time; killing its container")
        runner.kill()
