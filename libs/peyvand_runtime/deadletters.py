"""Inspect and redrive dead-lettered events (``python -m peyvand_runtime.deadletters``).

    list     [--management-url URL]   dead-letter queues and their depth
    show     QUEUE [--limit N]         the parked messages (left in place)
    redrive  QUEUE [--limit N]         move them back to their consumer queue, attempts reset
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import pika

from peyvand_runtime.consumer import ATTEMPTS_HEADER, ERROR_HEADER, FAILED_AT_HEADER, SOURCE_QUEUE_HEADER


@dataclass(frozen=True)
class DeadLetter:
    event_id: str
    event_type: str
    attempts: int
    error: str
    failed_at: str
    source_queue: str
    size: int


def _describe(body: bytes, headers: dict[str, Any], dlq: str) -> DeadLetter:
    event_id = event_type = ""
    try:
        parsed = json.loads(body)
        if isinstance(parsed, dict):
            event_id = str(parsed.get("event_id", ""))
            event_type = str(parsed.get("type", ""))
    except (ValueError, UnicodeDecodeError):
        pass
    return DeadLetter(
        event_id=event_id,
        event_type=event_type,
        attempts=int(headers.get(ATTEMPTS_HEADER, 0)),
        error=str(headers.get(ERROR_HEADER, "")),
        failed_at=str(headers.get(FAILED_AT_HEADER, "")),
        source_queue=str(headers.get(SOURCE_QUEUE_HEADER) or dlq.removesuffix(".dlq")),
        size=len(body),
    )


def peek(amqp_uri: str, dlq: str, limit: int = 20) -> list[DeadLetter]:
    """Read up to ``limit`` parked messages without removing them (they are requeued in order)."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        found = []
        for _ in range(limit):
            method, properties, body = channel.basic_get(dlq, auto_ack=False)
            if method is None:
                break
            found.append(_describe(body, properties.headers or {}, dlq))
        channel.close()  # unacked messages go back to the queue
        return found
    finally:
        connection.close()


def redrive(amqp_uri: str, dlq: str, limit: int = 1000) -> int:
    """Move parked messages back to their consumer queue with a fresh attempt count."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    moved = 0
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        # Only what is parked now: a message that fails again is parked anew, not looped.
        depth = channel.queue_declare(dlq, durable=True, passive=True).method.message_count
        for _ in range(min(limit, depth)):
            method, properties, body = channel.basic_get(dlq, auto_ack=False)
            if method is None:
                break
            headers = dict(properties.headers or {})
            target = str(headers.get(SOURCE_QUEUE_HEADER) or dlq.removesuffix(".dlq"))
            for name in (ATTEMPTS_HEADER, ERROR_HEADER, FAILED_AT_HEADER, SOURCE_QUEUE_HEADER):
                headers.pop(name, None)
            headers["x-peyvand-redriven"] = int(headers.get("x-peyvand-redriven", 0)) + 1
            properties.headers = headers
            # A confirmed publish first, then the ack: a crash in between duplicates (which
            # the consumer's inbox absorbs) rather than loses.
            channel.basic_publish("", target, body, properties, mandatory=True)
            channel.basic_ack(method.delivery_tag)
            moved += 1
        return moved
    finally:
        connection.close()


def list_dead_letter_queues(management_url: str, vhost: str = "/", user: str = "guest", password: str = "guest") -> list[tuple[str, int]]:
    url = f"{management_url.rstrip('/')}/api/queues/{urllib.parse.quote(vhost, safe='')}?columns=name,messages"
    request = urllib.request.Request(url)
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        queues = json.loads(response.read())
    return sorted((q["name"], int(q.get("messages") or 0)) for q in queues if q["name"].endswith(".dlq"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peyvand_runtime.deadletters", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list")
    listing.add_argument("--management-url", default=os.environ.get("RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672/"))
    listing.add_argument("--vhost", default="/")
    for name in ("show", "redrive"):
        command = sub.add_parser(name)
        command.add_argument("queue")
        command.add_argument("--limit", type=int, default=20 if name == "show" else 1000)
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            for name, depth in list_dead_letter_queues(args.management_url, args.vhost):
                print(f"{depth:>8}  {name}")
        elif args.command == "show":
            for letter in peek(args.amqp_uri, args.queue, args.limit):
                print(json.dumps(letter.__dict__, ensure_ascii=False))
        else:
            print(f"redriven: {redrive(args.amqp_uri, args.queue, args.limit)}")
    except (pika.exceptions.AMQPError, OSError) as exc:
        print(f"deadletters: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
