"""A tiny HTTP side server for every process: ``/metrics``, ``/livez`` and ``/readyz``.

gRPC servers, workers, relays and jobs all start one (``METRICS_PORT``); Prometheus scrapes
``/metrics`` and Kubernetes probes ``/livez`` and ``/readyz``. It runs in a daemon thread so
it never keeps a stopping process alive.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder

logger = logging.getLogger(__name__)


class MetricsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        readiness: Callable[[], bool] | None,
        registry: CollectorRegistry,
    ) -> None:
        self.readiness = readiness
        self.registry = registry
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def is_ready(self) -> bool:
        if self.readiness is None:
            return True
        try:
            return bool(self.readiness())
        except Exception:  # a failing check means "not ready", never a 500 loop
            logger.exception("readiness check failed")
            return False

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: MetricsServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            self._answer(200, encoder(self.server.registry), content_type)
        elif path == "/livez":
            self._answer(200, b"ok\n")
        elif path == "/readyz":
            if self.server.is_ready():
                self._answer(200, b"ready\n")
            else:
                self._answer(503, b"not ready\n")
        else:
            self._answer(404, b"not found\n")

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        # Scrapes and probes every few seconds would drown the real logs.
        pass


def start_metrics_server(
    port: int,
    readiness: Callable[[], bool] | None = None,
    host: str | None = None,
    registry: CollectorRegistry = REGISTRY,
) -> tuple[MetricsServer, int]:
    """Serve metrics and probes on ``host:port`` (0 picks a free port); returns the bound port.

    ``host`` defaults to ``METRICS_HOST`` (containers set ``0.0.0.0`` so probes and
    Prometheus reach it), else loopback. Stop it with ``server.stop()``.
    """
    if host is None:
        host = os.environ.get("METRICS_HOST") or "127.0.0.1"
    server = MetricsServer((host, port), readiness, registry)
    bound_port = server.server_address[1]
    # A short poll interval keeps stop() quick; the loop is idle otherwise.
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name=f"metrics-http-{bound_port}", daemon=True)
    thread.start()
    logger.info("metrics server listening", extra={"metrics_port": bound_port})
    return server, int(bound_port)
