"""Waiting for a stack's events to be through: every outbox drained, every queue of the vhost empty."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from peyvand_stack.harness import Stack
from peyvand_stack.processes import OUTBOX_COLLECTIONS
from pymongo import MongoClient


def backlog(ctx: Any, client: MongoClient[dict[str, Any]], vhost: str, suffix: str) -> tuple[int, int]:
    """(aggregates with unpublished events, messages in the vhost's queues)."""
    pending = sum(client[f"peyvand_{svc}{suffix}"][col].count_documents({"outbox_pending": 1}) for svc, cols in OUTBOX_COLLECTIONS.items() for col in cols)
    queued = sum(int(q.get("messages", 0)) for q in ctx.rabbit.management("GET", f"queues/{quote(vhost, safe='')}") or [])
    return pending, queued


def wait_settled(ctx: Any, vhost: str, suffix: str, label: str, stacks: tuple[Stack, ...] = (), timeout: float = 7200) -> float:
    """Seconds until nothing is left to publish or consume; fails at once when a process died."""
    client: MongoClient[dict[str, Any]] = MongoClient(ctx.mongo_uri)
    began = note = time.monotonic()
    try:
        while True:
            pending, queued = backlog(ctx, client, vhost, suffix)
            if pending == 0 and queued == 0:
                seconds = time.monotonic() - began
                ctx.log(f"{label}: events through in {seconds:.0f} s (outboxes and queues empty)")
                return seconds
            for process in (p for stack in stacks for p in stack.processes.values()):
                if process.proc is not None and process.proc.poll() is not None:
                    raise RuntimeError(f"{process.name} exited with {process.proc.returncode}:\n{process.log_tail()}")
            if time.monotonic() - note > 15:
                ctx.log(f"{label}: {pending:,} aggregates with unpublished events, {queued:,} messages queued")
                note = time.monotonic()
            if time.monotonic() - began > timeout:
                raise TimeoutError(f"{label}: events not through after {timeout:.0f} s ({pending} unpublished, {queued} queued)")
            time.sleep(1)
    finally:
        client.close()
