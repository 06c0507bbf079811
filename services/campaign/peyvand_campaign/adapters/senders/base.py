"""The one interface every channel sender implements, and how providers' errors are told apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message for one recipient. ``delivery_id`` is the client reference the provider
    dedups on (Kavenegar ``localid``), so a resend after a crash is not a second message."""

    delivery_id: str
    channel: str
    purpose: str
    recipient: str  # +989… mobile, an email address, or a push token
    body: str
    subject: str = ""
    unsubscribe_url: str = ""
    extra_recipients: tuple[str, ...] = field(default_factory=tuple)  # more push tokens


@dataclass(frozen=True)
class SendReceipt:
    provider_message_id: str
    duplicate: bool = False  # the provider already had this client reference


class SendError(Exception):
    """A provider refused or failed. ``permanent``: retrying cannot help (invalid number)."""

    def __init__(self, code: str, *, permanent: bool) -> None:
        super().__init__(code)
        self.code = code
        self.permanent = permanent


class Sender(Protocol):
    provider: str
    channel: str

    def send(self, message: OutgoingMessage) -> SendReceipt: ...

    def close(self) -> None: ...
