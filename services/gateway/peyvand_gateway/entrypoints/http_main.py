"""``python -m peyvand_gateway.entrypoints.http_main``: serve the gateway on HTTP_PORT with uvicorn."""

from __future__ import annotations

import logging

import uvicorn
from peyvand_runtime import logs, protogen, tracing

log = logging.getLogger(__name__)


def main() -> None:
    protogen.ensure_generated()
    from peyvand_gateway.bootstrap import bootstrap
    from peyvand_gateway.entrypoints.app import create_app
    from peyvand_gateway.settings import GatewaySettings

    settings = GatewaySettings()
    logs.configure("gateway", settings.log_level)
    tracing.configure("gateway")  # no-op unless OTEL_TRACES_ENABLED=true
    gateway = bootstrap(settings)
    gateway.backends.keep_channels_warm()
    app = create_app(gateway)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # our JSON logs
        access_log=False,  # http_requests_total and our own logs cover it, without raw paths
        proxy_headers=True,
        loop="uvloop",  # ADR 0019: the C event loop and HTTP parser (pinned in requirements.txt)
        http="httptools",
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    log.info("gateway listening", extra={"http_port": settings.http_port})
    try:
        server.run()
    finally:
        app.state.stopping = True
        gateway.close()


if __name__ == "__main__":
    main()
