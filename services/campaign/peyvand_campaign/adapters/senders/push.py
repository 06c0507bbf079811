"""Push over an FCM-style HTTP API (``POST {base}/v1/projects/{project}/messages:send``), or log-only.

FCM has no client reference to dedup on; the delivery id travels in ``data.delivery_id`` so
the app can drop a repeat, which makes push at-least-once in the crash window (like email).
``NullPushSender`` (no PUSH_BASE_URL) logs and reports success: for machines with no push
provider configured; it is never used when a URL is set.
"""

from __future__ import annotations

import logging

import httpx

from peyvand_campaign.adapters.senders.base import OutgoingMessage, SendError, SendReceipt

log = logging.getLogger(__name__)


class HttpPushSender:
    provider = "fcm"
    channel = "push"

    def __init__(self, base_url: str, project: str, token: str, timeout_seconds: float = 5.0) -> None:
        self.url = f"{base_url.rstrip('/')}/v1/projects/{project}/messages:send"
        self.client = httpx.Client(timeout=timeout_seconds, headers={"Authorization": f"Bearer {token}"})

    def send(self, message: OutgoingMessage) -> SendReceipt:
        names = []
        for device in (message.recipient, *message.extra_recipients):
            body = {"message": {"token": device, "notification": {"title": message.subject, "body": message.body},
                                "data": {"delivery_id": message.delivery_id}}}
            try:
                response = self.client.post(self.url, json=body)
            except httpx.HTTPError as exc:
                raise SendError(f"push_{type(exc).__name__}", permanent=False) from None
            if response.status_code == 404:
                continue  # an unregistered device: try the others
            if response.status_code >= 500 or response.status_code == 429:
                raise SendError(f"push_{response.status_code}", permanent=False)
            if response.status_code >= 400:
                raise SendError(f"push_{response.status_code}", permanent=True)
            names.append(str(response.json().get("name", "")))
        if not names:
            raise SendError("push_no_registered_device", permanent=True)
        return SendReceipt(names[0])

    def close(self) -> None:
        self.client.close()


class NullPushSender:
    provider = "null"
    channel = "push"

    def send(self, message: OutgoingMessage) -> SendReceipt:
        log.info("push not configured; message logged only", extra={"delivery_id": message.delivery_id})
        return SendReceipt(f"null-{message.delivery_id}")

    def close(self) -> None:
        pass
