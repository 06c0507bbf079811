"""A fake Kavenegar-style SMS provider: a real HTTP server keeping messages in memory.

    python -m peyvand_campaign.fakes.sms_provider --port 9450 --api-key dev-api-key

Behaves like the real API where our sender depends on it:
- ``POST|GET /v1/{api_key}/sms/send.json`` (receptor, message, sender, localid) →
  ``{"return": {"status": 200, "message": "تایید شد"}, "entries": [{messageid, status: 1, …}]}``;
  a ``localid`` seen before returns the first message's entry and sends nothing;
- ``POST /v1/{api_key}/sms/sendarray.json`` (receptor, sender, message: JSON arrays of equal
  length; ``localmessageids`` a JSON array or comma-separated) → one entry per message in
  order; each local id seen before returns its first message (``duplicate``) and is not sent
  again; the call is all-or-nothing: one invalid receptor → 411, not enough credit for the
  new messages → 418, unequal arrays → 400, more than ``ARRAY_LIMIT`` messages → 400;
- errors as ``return.status`` (and the same HTTP status): 403 bad API key, 411 invalid
  receptor, 412 invalid sender, 418 insufficient credit;
- ``/v1/{api_key}/sms/status.json?messageid=1,2`` delivery reports (1 queued → 10 delivered
  after ``deliver_after`` seconds, or 11 for numbers marked undeliverable).
Test controls (not part of the real API): ``GET /_fake/messages``, ``POST /_fake/fail``
``{"status": 503, "count": 2}`` (inject errors for the next sends), ``POST /_fake/reset``,
``POST /_fake/credit`` ``{"credit": 0}``.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MESSAGES_OK = "تایید شد"
ERRORS = {
    400: "پارامترها ناقص هستند",
    403: "کد شناسائی API-Key معتبر نمی‌باشد",
    411: "دریافت کننده نامعتبر است",
    412: "ارسال کننده نامعتبر است",
    418: "اعتبار حساب شما کافی نیست",
    500: "خطای داخلی سرور",
    502: "دروازه نامعتبر",
    503: "سرویس در دسترس نیست",
}
_RECEPTOR = re.compile(r"^(?:0|\+98|98|0098)9\d{9}$")
ARRAY_LIMIT = 200  # messages per sendarray call


@dataclass
class SmsRecord:
    messageid: int
    receptor: str
    sender: str
    message: str
    localid: str
    date: int
    status: int = 1


class FakeSmsProvider:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, api_key: str = "dev-api-key",
                 deliver_after: float = 0.5, credit: int = 10**9) -> None:
        self.api_key = api_key
        self.deliver_after = deliver_after
        self.credit = credit
        self.lock = threading.Lock()
        self.messages: list[SmsRecord] = []
        self.by_localid: dict[str, SmsRecord] = {}
        self.by_id: dict[int, SmsRecord] = {}
        self.undeliverable: set[str] = set()
        self.injected: list[int] = []
        self.requests = 0
        self.array_requests = 0
        self._next_id = 8_792_343
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeSmsProvider:
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True, name="fake-sms")
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- controls used by tests in-process ---------------------------------------------------
    def fail_next(self, status: int, count: int = 1) -> None:
        with self.lock:
            self.injected.extend([status] * count)

    def sent_to(self, receptor: str) -> list[SmsRecord]:
        with self.lock:
            return [m for m in self.messages if m.receptor == receptor]

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.by_localid.clear()
            self.by_id.clear()
            self.injected.clear()

    # -- the API -----------------------------------------------------------------------------
    def send(self, key: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests += 1
            if key != self.api_key:
                return _error(403)
            if self.injected:
                return _error(self.injected.pop(0))
            receptor, message = params.get("receptor", ""), params.get("message", "")
            if not receptor or not message:
                return _error(400)
            if not _RECEPTOR.match(receptor):
                return _error(411)
            localid = params.get("localid", "")
            if localid and localid in self.by_localid:
                return 200, _ok([self.by_localid[localid]], duplicate=True)
            if self.credit <= 0:
                return _error(418)
            self.credit -= 1
            record = SmsRecord(self._next_id, receptor, params.get("sender", ""), message, localid, int(time.time()))
            self._next_id += 1
            self.messages.append(record)
            self.by_id[record.messageid] = record
            if localid:
                self.by_localid[localid] = record
            return 200, _ok([record])

    def send_array(self, key: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests += 1
            self.array_requests += 1
            if key != self.api_key:
                return _error(403)
            if self.injected:
                return _error(self.injected.pop(0))
            try:
                receptors, senders, texts = (_array(params.get(name, "")) for name in ("receptor", "sender", "message"))
                raw_ids = params.get("localmessageids", "")
                localids = _array(raw_ids) if raw_ids.strip().startswith("[") else [x for x in raw_ids.split(",")] if raw_ids else []
            except ValueError:
                return _error(400)
            if not receptors or len(receptors) > ARRAY_LIMIT or len(senders) != len(receptors) or len(texts) != len(receptors):
                return _error(400)
            if localids and len(localids) != len(receptors):
                return _error(400)
            if any(not _RECEPTOR.match(r) for r in receptors) or any(not t for t in texts):
                return _error(411 if any(not _RECEPTOR.match(r) for r in receptors) else 400)
            localids = localids or [""] * len(receptors)
            fresh = sum(1 for localid in dict.fromkeys(localids) if not localid or localid not in self.by_localid)
            if fresh > self.credit:
                return _error(418)
            entries = []
            for receptor, sender, text, localid in zip(receptors, senders, texts, localids, strict=True):
                if localid and localid in self.by_localid:
                    entries.append(_entry(self.by_localid[localid], duplicate=True))
                    continue
                self.credit -= 1
                record = SmsRecord(self._next_id, receptor, sender, text, localid, int(time.time()))
                self._next_id += 1
                self.messages.append(record)
                self.by_id[record.messageid] = record
                if localid:
                    self.by_localid[localid] = record
                entries.append(_entry(record))
            return 200, {"return": {"status": 200, "message": MESSAGES_OK}, "entries": entries}

    def status(self, key: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if key != self.api_key:
                return _error(403)
            entries = []
            now = time.time()
            for raw in params.get("messageid", "").split(","):
                record = self.by_id.get(int(raw)) if raw.strip().isdigit() else None
                if record is None:
                    entries.append({"messageid": raw, "status": 100, "statustext": "شناسه پیامک نامعتبر است"})
                    continue
                if record.status == 1 and now - record.date >= self.deliver_after:
                    record.status = 11 if record.receptor in self.undeliverable else 10
                entries.append({"messageid": record.messageid, "status": record.status,
                                "statustext": {1: "در صف ارسال", 10: "رسیده به گیرنده", 11: "نرسیده به گیرنده"}[record.status]})
            return 200, {"return": {"status": 200, "message": MESSAGES_OK}, "entries": entries}


def _error(status: int) -> tuple[int, dict[str, Any]]:
    return status, {"return": {"status": status, "message": ERRORS.get(status, "خطا")}, "entries": None}


def _entry(r: SmsRecord, duplicate: bool = False) -> dict[str, Any]:
    return {"messageid": r.messageid, "message": r.message, "status": r.status, "statustext": "در صف ارسال",
            "sender": r.sender, "receptor": r.receptor, "date": r.date, "cost": 1200, **({"duplicate": True} if duplicate else {})}


def _ok(records: list[SmsRecord], duplicate: bool = False) -> dict[str, Any]:
    return {"return": {"status": 200, "message": MESSAGES_OK}, "entries": [_entry(r, duplicate) for r in records]}


def _array(raw: str) -> list[str]:
    """A JSON array parameter of strings (what sendarray takes); ValueError otherwise."""
    value = json.loads(raw or "[]")
    if not isinstance(value, list):
        raise ValueError("not an array")
    return [str(x) for x in value]


def _handler(provider: FakeSmsProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _params(self) -> dict[str, str]:
            query = urllib.parse.urlsplit(self.path).query
            params = dict(urllib.parse.parse_qsl(query))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                raw = self.rfile.read(length).decode("utf-8")
                if (self.headers.get("Content-Type") or "").startswith("application/json"):
                    params.update({k: str(v) for k, v in json.loads(raw or "{}").items()})
                else:
                    params.update(dict(urllib.parse.parse_qsl(raw)))
            return params

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            params = self._params()
            parts = path.strip("/").split("/")
            if len(parts) == 4 and parts[0] == "v1" and parts[2] == "sms":
                if parts[3] == "send.json":
                    self._answer(*provider.send(parts[1], params))
                    return
                if parts[3] == "sendarray.json":
                    self._answer(*provider.send_array(parts[1], params))
                    return
                if parts[3] == "status.json":
                    self._answer(*provider.status(parts[1], params))
                    return
            if path == "/_fake/messages":
                with provider.lock:
                    self._answer(200, [asdict(m) for m in provider.messages])
                return
            if path == "/_fake/fail":
                provider.fail_next(int(params.get("status", 503)), int(params.get("count", 1)))
                self._answer(200, {"ok": True})
                return
            if path == "/_fake/reset":
                provider.reset()
                self._answer(200, {"ok": True})
                return
            if path == "/_fake/credit":
                provider.credit = int(params.get("credit", 0))
                self._answer(200, {"ok": True})
                return
            self._answer(404, {"return": {"status": 404, "message": "not found"}, "entries": None})

        do_GET = _route
        do_POST = _route

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=9450)
    parser.add_argument("--api-key", default="dev-api-key")
    parser.add_argument("--deliver-after", type=float, default=2.0)
    args = parser.parse_args(argv)
    provider = FakeSmsProvider(port=args.port, api_key=args.api_key, deliver_after=args.deliver_after)
    print(f"fake SMS provider on {provider.base_url}", flush=True)
    try:
        provider.server.serve_forever(0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
