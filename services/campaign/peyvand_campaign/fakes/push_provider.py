"""A fake FCM-style push endpoint (``POST /v1/projects/{p}/messages:send``) keeping messages in memory.

    python -m peyvand_campaign.fakes.push_provider --port 9451
Tokens starting with ``dead-`` answer 404 (unregistered device), as FCM does.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakePushProvider:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str = "dev-push-token") -> None:
        self.token = token
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakePushProvider:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True, name="fake-push").start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(provider: FakePushProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if self.headers.get("Authorization") != f"Bearer {provider.token}":
                self._answer(401, {"error": {"status": "UNAUTHENTICATED"}})
                return
            if not self.path.endswith("/messages:send"):
                self._answer(404, {"error": {"status": "NOT_FOUND"}})
                return
            message = body.get("message") or {}
            if str(message.get("token", "")).startswith("dead-"):
                self._answer(404, {"error": {"status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}})
                return
            with provider.lock:
                provider.messages.append(message)
                name = f"projects/peyvand/messages/{len(provider.messages)}"
            self._answer(200, {"name": name})

        def do_GET(self) -> None:
            with provider.lock:
                self._answer(200, provider.messages)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9451)
    args = parser.parse_args(argv)
    provider = FakePushProvider(port=args.port)
    print(f"fake push provider on {provider.base_url}", flush=True)
    provider.server.serve_forever(0.1)


if __name__ == "__main__":
    main()
