"""Structured JSON logs, one object per line, carrying the process name and correlation id
(and ``trace_id``/``span_id`` while a span is active, when tracing is on: ``tracing``).

Never log personal data: pass ids (``cus_…``), never national ids, phone numbers or emails.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

from peyvand_runtime import correlation, tracing

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, process_name: str) -> None:
        super().__init__()
        self.process_name = process_name

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "process": self.process_name,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        cid = correlation.current()
        if cid:
            entry["correlation_id"] = cid
        ids = tracing.current_ids()  # None unless tracing is on and a span is active
        if ids:
            entry["trace_id"], entry["span_id"] = ids
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(process_name: str, level: str = "INFO") -> None:
    """Send every logger's records to stdout as JSON lines (the supervisor adds prefixes)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(process_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("pika", "kombu", "amqp", "nameko", "pymongo", "urllib3", "httpx", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
