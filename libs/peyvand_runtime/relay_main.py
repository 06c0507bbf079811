"""``python -m peyvand_runtime.relay_main --service customer --collections parties,...``: one service's outbox relay."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import Any

from peyvand_runtime import logs, store, tracing
from peyvand_runtime.metrics_http import start_metrics_server
from peyvand_runtime.relay import OutboxRelay
from peyvand_runtime.settings import RelaySettings

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--service", required=True)
    parser.add_argument("--collections", required=True, help="comma-separated aggregate collections that carry an outbox")
    args = parser.parse_args(argv)
    settings = RelaySettings()
    logs.configure(f"{args.service}-relay", settings.log_level)
    tracing.configure(f"{args.service}-relay")  # no-op unless OTEL_TRACES_ENABLED=true
    database = store.connect(args.service, settings)
    for name in args.collections.split(","):
        database[name].create_index("outbox_pending")
    relay = OutboxRelay(
        database,
        args.service,
        [c for c in args.collections.split(",") if c],
        settings.amqp_uri,
        page_size=settings.relay_page_size,
        idle_sleep=settings.relay_idle_sleep_seconds,
        max_backoff=settings.relay_max_backoff_seconds,
    )
    start_metrics_server(settings.metrics_port, readiness=lambda: store.store_is_reachable(database))

    def _stop(_signum: int, _frame: Any) -> None:
        relay.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    thread = threading.Thread(target=relay.run, name="relay", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.5)
    log.info("relay stopped", extra={"published": relay.published})


if __name__ == "__main__":
    main()
