"""Consent rules: may this customer be sent a service or marketing message on this channel?

The rule (Iranian telecom practice and the customer's reasonable expectation):

* **service** messages (renewal reminders, claim updates, surveys about their own ticket) are
  allowed by default; they stop only when the customer explicitly revoked service consent for
  that channel (``granted: false``);
* **marketing** messages need an explicit ``granted: true`` for that channel — silence is no.

When the list holds several entries for the same channel and purpose, the last one wins
(the customer service appends changes in the order they happened).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .values import CHANNELS, MARKETING, PURPOSES, SERVICE


@dataclass(frozen=True)
class Consent:
    channel: str
    purpose: str
    granted: bool

    @classmethod
    def from_dict(cls, raw: Mapping[str, object]) -> Consent:
        return cls(str(raw.get("channel", "")), str(raw.get("purpose", "")), raw.get("granted") is True)


@dataclass(frozen=True)
class Decision:
    """Whether a send may go ahead and a stable, log-safe reason code saying why."""

    allowed: bool
    reason: str


ConsentLike = Consent | Mapping[str, object]


def _latest(consents: Iterable[ConsentLike], channel: str, purpose: str) -> bool | None:
    answer: bool | None = None
    for item in consents:
        consent = item if isinstance(item, Consent) else Consent.from_dict(item)
        if consent.channel == channel and consent.purpose == purpose:
            answer = consent.granted
    return answer


def may_send(consents: Iterable[ConsentLike], channel: str, purpose: str) -> Decision:
    """Decide for one channel and purpose; unknown channels or purposes are never allowed."""
    if channel not in CHANNELS:
        return Decision(False, "unknown_channel")
    if purpose not in PURPOSES:
        return Decision(False, "unknown_purpose")
    granted = _latest(consents, channel, purpose)
    if purpose == SERVICE:
        if granted is False:
            return Decision(False, "service_revoked")
        return Decision(True, "service_granted" if granted else "service_default")
    if granted is True:
        return Decision(True, "marketing_granted")
    return Decision(False, "marketing_revoked" if granted is False else "marketing_not_granted")


def effective_consents(consents: Iterable[ConsentLike]) -> dict[str, bool]:
    """Flattened ``consent_<channel>_<purpose>`` flags for the customer projection document."""
    items = list(consents)
    return {
        f"consent_{channel}_{purpose}": may_send(items, channel, purpose).allowed
        for channel in CHANNELS
        for purpose in (SERVICE, MARKETING)
    }
