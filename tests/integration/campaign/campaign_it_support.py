"""Helpers shared by the in-process campaign tests: profiles, renewal_due payloads, a sender
context on the fake Kavenegar provider, and draining the due deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand_campaign.adapters.collections import PROFILES
from peyvand_campaign.adapters.senders.kavenegar import KavenegarSmsSender
from peyvand_campaign.service_layer import journeys, sending
from peyvand_campaign.service_layer.rendering import LinkConfig
from peyvand_runtime.ids import new_id

NOON = dt.datetime(2026, 6, 10, 8, 30, tzinfo=dt.UTC)  # 12:00 Tehran
CFG = journeys.JourneyConfig(weekly_cap=2)

def customers(db: Any, count: int, consents: list[dict[str, Any]] | None = None) -> list[str]:
    ids = [new_id("cus") for _ in range(count)]
    db[PROFILES].insert_many([{"_id": c, "version": 1, "display_name": f"مشتری {i}", "mobile": f"+98912{i:07d}",
                               "email": f"c{i}@example.ir", "preferred_channel": "sms", "language": "fa", "agent_id": "",
                               "consents": consents or [], "push_tokens": []} for i, c in enumerate(ids)])
    return ids


def due(customer_id: str, window: int = 30, policy_id: str | None = None) -> tuple[str, dict[str, Any]]:
    return new_id("evt"), {"policy_id": policy_id or new_id("pol"), "policy_number": "1201-1405-000123", "holder_id": customer_id,
                           "agent_id": "", "branch_code": "1201", "product_code": "MOTOR_TPL", "term_end": "2026-07-10",
                           "days_before_expiry": window, "renewal_premium": 41_000_000, "renewal_total_premium": 44_690_000,
                           "aggregate_version": 3}


def sender_ctx(db: Any, provider: Any, clock: list[dt.datetime]) -> sending.SendContext:
    sms = KavenegarSmsSender(provider.base_url, provider.api_key, "10008663", timeout_seconds=5)
    return sending.SendContext(db=db, senders={"sms": sms}, buckets={"sms": sending.TokenBucket(100_000)},
                               links=LinkConfig("http://127.0.0.1:8000", "s", "مرکز تماس", "021-00000000"),
                               holder="test-sender", claim_for=dt.timedelta(seconds=60), clock=lambda: clock[0], batch_size=100)


def drain(ctx: sending.SendContext) -> list[str]:
    outcomes: list[str] = []
    while batch := sending.send_batch(ctx):
        outcomes += batch
    return outcomes


