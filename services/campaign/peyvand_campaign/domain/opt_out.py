"""Opt-out: SMS STOP keywords (Persian and English) and signed email unsubscribe tokens.

A reply is a STOP only when the whole message, once normalised, is a keyword — "لغو",
"لغو۱۱" (keyword plus the line's short code), "انصراف", "STOP", "unsubscribe" — so a
sentence that merely contains "stop" is not an opt-out. Normalising folds case, Persian and
Arabic-Indic digits, Arabic ي/ك, zero-width non-joiners, tatweel, whitespace and trailing
punctuation. A keyword followed by "همه" / "all" ("لغو همه", "STOP ALL") also stops service
SMS; otherwise only marketing SMS stops (renewal reminders keep coming).

Unsubscribe tokens are ``<payload>.<mac>`` in URL-safe base64 with an HMAC-SHA256 over the
payload; they do not expire, so a link in an old email still works.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

from peyvand_runtime.domain import DomainError
from peyvand_runtime.tehran_time import to_ascii_digits

from .values import CHANNELS, MARKETING, PURPOSES, SERVICE, SMS

STOP_WORDS = frozenset({"لغو", "انصراف", "stop", "unsubscribe", "optout"})
ALL_WORDS = frozenset({"همه", "all"})
_FOLD = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": "", "\u200d": "", "\u0640": "", "\u200f": "",
                       "\u200e": ""})
_TRAILING = re.compile(r"[\s.!؟?،,؛;\-_]+$")
_STOP_RE = re.compile(r"^(?P<word>[^\d\s]+?)(?P<all>همه|all)?(?P<code>\d*)$")


@dataclass(frozen=True)
class StopRequest:
    """What a STOP reply asks for: which purposes to revoke on SMS."""

    keyword: str
    channel: str
    purposes: tuple[str, ...]

    def consent_changes(self) -> list[dict[str, object]]:
        """Consent entries to append for the customer (the customer service applies them)."""
        return [{"channel": self.channel, "purpose": p, "granted": False} for p in self.purposes]


def normalise_reply(text: str) -> str:
    folded = to_ascii_digits(text).translate(_FOLD).casefold()
    folded = _TRAILING.sub("", folded.strip())
    return re.sub(r"\s+", "", folded)


def parse_stop(text: str) -> StopRequest | None:
    """A StopRequest when the reply is an opt-out keyword, else ``None`` (route it to an agent)."""
    match = _STOP_RE.match(normalise_reply(text))
    if not match or match.group("word") not in STOP_WORDS:
        return None
    purposes = (MARKETING, SERVICE) if match.group("all") else (MARKETING,)
    return StopRequest(match.group("word"), SMS, purposes)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes | str, payload: bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not key:
        raise ValueError("the unsubscribe secret must not be empty")
    return hmac.new(key, payload, hashlib.sha256).digest()


@dataclass(frozen=True)
class UnsubscribeRequest:
    customer_id: str
    channel: str
    purpose: str


def make_unsubscribe_token(secret: bytes | str, customer_id: str, channel: str, purpose: str) -> str:
    if not customer_id or "|" in customer_id:
        raise ValueError("customer_id must be a plain id")
    if channel not in CHANNELS or purpose not in PURPOSES:
        raise ValueError("unknown channel or purpose")
    payload = f"v1|{customer_id}|{channel}|{purpose}".encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def verify_unsubscribe_token(secret: bytes | str, token: str) -> UnsubscribeRequest:
    """The request the token was made for; DomainError(TOKEN_INVALID) if altered or malformed."""
    invalid = DomainError("the unsubscribe link is not valid", code="TOKEN_INVALID")
    try:
        encoded_payload, encoded_mac = token.split(".")
        payload, mac = _unb64(encoded_payload), _unb64(encoded_mac)
    except (ValueError, binascii.Error, AttributeError):
        raise invalid from None
    # Only the canonical spelling is accepted: base64 decoding ignores stray characters and
    # the spare low bits of the last character, which would let altered tokens through.
    if _b64(payload) != encoded_payload or _b64(mac) != encoded_mac:
        raise invalid
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise invalid
    parts = payload.decode("utf-8", errors="replace").split("|")
    if len(parts) != 4 or parts[0] != "v1" or parts[2] not in CHANNELS or parts[3] not in PURPOSES:
        raise invalid
    return UnsubscribeRequest(parts[1], parts[2], parts[3])
