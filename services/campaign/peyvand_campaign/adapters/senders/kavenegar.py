"""SMS over a Kavenegar-style HTTP API (``POST {base}/v1/{api_key}/sms/send.json``, and
``sms/sendarray.json`` for many messages in one call).

Idempotency: every send carries ``localid`` = our delivery id (``localmessageids`` in
``sendarray``, one per message). The provider keeps the first message per local id and
answers a repeated one with that message instead of sending again, so "sent, then crashed
before recording it, then sent again" is still one SMS — also when the array is resent.
``sendarray`` takes JSON arrays of equal length (receptor, sender, message, localmessageids)
and answers one entry per message, in order; a refusal (e.g. 411 for one invalid receptor)
refuses the whole call.
Errors: ``return.status`` other than 200. 5xx, 418 (no credit, fixed by a top-up) and network
failures or timeouts are retried; other 4xx (411 invalid receptor, 412 invalid sender, 403
bad key…) are permanent for that message.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from peyvand_campaign.adapters.senders.base import OutgoingMessage, SendError, SendReceipt

TRANSIENT_4XX = frozenset({418, 429})


def to_local_mobile(e164: str) -> str:
    """+98912… → 0912… (the receptor form Kavenegar documents)."""
    digits = e164.strip().lstrip("+")
    if digits.startswith("98") and len(digits) == 12:
        return "0" + digits[2:]
    return e164


class KavenegarSmsSender:
    provider = "kavenegar"
    channel = "sms"

    def __init__(self, base_url: str, api_key: str, sender_line: str, timeout_seconds: float = 5.0,
                 client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.sender_line = sender_line
        self.client = client or httpx.Client(timeout=httpx.Timeout(timeout_seconds, connect=min(2.0, timeout_seconds)),
                                             limits=httpx.Limits(max_connections=32, max_keepalive_connections=16))

    def _call(self, path: str, data: dict[str, str]) -> dict[str, Any]:
        url = f"{self.base_url}/v1/{self.api_key}/{path}"
        try:
            response = self.client.post(url, data=data)
        except httpx.TimeoutException:
            raise SendError("timeout", permanent=False) from None
        except httpx.TransportError as exc:
            raise SendError(f"transport:{type(exc).__name__}", permanent=False) from None
        try:
            answer = response.json()
            status = int(answer["return"]["status"])
        except (ValueError, KeyError, TypeError):
            raise SendError(f"http_{response.status_code}", permanent=not response.is_server_error) from None
        if status != 200:
            permanent = 400 <= status < 500 and status not in TRANSIENT_4XX
            raise SendError(f"kavenegar_{status}", permanent=permanent)
        return answer  # type: ignore[no-any-return]

    def send(self, message: OutgoingMessage) -> SendReceipt:
        answer = self._call("sms/send.json", {"receptor": to_local_mobile(message.recipient), "message": message.body,
                                               "sender": self.sender_line, "localid": message.delivery_id})
        entries = answer.get("entries") or []
        if not entries:
            raise SendError("kavenegar_no_entry", permanent=False)
        entry = entries[0]
        return SendReceipt(str(entry["messageid"]), duplicate=bool(entry.get("duplicate")))

    def send_many(self, messages: list[OutgoingMessage]) -> list[SendReceipt | SendError]:
        """One ``sendarray`` call; a receipt per message, in order. A refused call raises ``SendError``
        (permanent when no message of the array can go as it is: the caller then sends one by one)."""
        if not messages:
            return []
        answer = self._call("sms/sendarray.json", {
            "receptor": json.dumps([to_local_mobile(m.recipient) for m in messages]),
            "sender": json.dumps([self.sender_line] * len(messages)),
            "message": json.dumps([m.body for m in messages], ensure_ascii=False),
            "localmessageids": json.dumps([m.delivery_id for m in messages]),
        })
        entries = answer.get("entries") or []
        if len(entries) != len(messages):
            # Cannot tell which went: resend them all (the local ids keep each one once).
            raise SendError("kavenegar_entries_mismatch", permanent=False)
        return [SendReceipt(str(e["messageid"]), duplicate=bool(e.get("duplicate"))) for e in entries]

    def statuses(self, message_ids: list[str]) -> dict[str, int]:
        """Delivery reports: messageid → Kavenegar status (10 delivered, 11/6/14 undelivered …)."""
        if not message_ids:
            return {}
        answer = self._call("sms/status.json", {"messageid": ",".join(message_ids)})
        return {str(e["messageid"]): int(e["status"]) for e in answer.get("entries") or []}

    def close(self) -> None:
        self.client.close()


DELIVERED_STATUSES = frozenset({10})
UNDELIVERED_STATUSES = frozenset({6, 11, 13, 14})
