"""Channel choice: the step's channel if reachable and consented, else the fallback chain.

Order tried: the step's channel, then the customer's preferred channel, then the fallback
chain ``sms → email → push`` (the spec's "no mobile → email → push"), each once. A channel is
usable when the customer has a contact point for it and consent allows the purpose on it.
``allowed`` restricts the candidates (e.g. a campaign only has templates for some channels);
``exclude`` drops channels already used for the same step (an ``sms + push`` step must not
fall back from SMS onto the push it is sending anyway).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .consent import ConsentLike, may_send
from .values import CHANNELS, EMAIL, PUSH, SMS

FALLBACK_CHAIN: tuple[str, ...] = (SMS, EMAIL, PUSH)


@dataclass(frozen=True)
class ContactPoints:
    """Which ways of reaching the customer exist (no values: those are personal data)."""

    mobile: bool = False
    email: bool = False
    push: bool = False

    @classmethod
    def from_profile(cls, profile: Mapping[str, object]) -> ContactPoints:
        tokens = profile.get("push_tokens") or []
        return cls(mobile=bool(profile.get("mobile")), email=bool(profile.get("email")),
                   push=bool(tokens) if isinstance(tokens, (list, tuple)) else False)

    def has(self, channel: str) -> bool:
        return {SMS: self.mobile, EMAIL: self.email, PUSH: self.push}.get(channel, False)


_MISSING = {SMS: "no_mobile", EMAIL: "no_email", PUSH: "no_push_token"}


@dataclass(frozen=True)
class ChannelDecision:
    """The chosen channel (``None`` when nothing is usable) and why each candidate was passed over."""

    channel: str | None
    reasons: tuple[str, ...]

    @property
    def fell_back(self) -> bool:
        return self.channel is not None and bool(self.reasons)


def choose_channel(step_channel: str | None, contacts: ContactPoints, consents: Iterable[ConsentLike],
                   purpose: str, preferred: str | None = None,
                   fallback: Sequence[str] = FALLBACK_CHAIN, allowed: Collection[str] | None = None,
                   exclude: Collection[str] = ()) -> ChannelDecision:
    """Pick a channel; ``reasons`` holds ``"<channel>:<why>"`` for each skipped candidate."""
    consent_list = list(consents)
    candidates: list[str] = []
    for channel in (step_channel, preferred, *fallback):
        if channel and channel not in candidates:
            candidates.append(channel)
    reasons: list[str] = []
    for channel in candidates:
        if channel not in CHANNELS:
            reasons.append(f"{channel}:unknown_channel")
        elif channel in exclude:
            reasons.append(f"{channel}:already_used_for_step")
        elif allowed is not None and channel not in allowed:
            reasons.append(f"{channel}:no_template")
        elif not contacts.has(channel):
            reasons.append(f"{channel}:{_MISSING[channel]}")
        else:
            decision = may_send(consent_list, channel, purpose)
            if decision.allowed:
                return ChannelDecision(channel, tuple(reasons))
            reasons.append(f"{channel}:{decision.reason}")
    return ChannelDecision(None, tuple(reasons))
