"""Access tokens: a token read once is remembered by its exact string, and nothing a decode would
refuse gets through the memory (expiry is still checked on every read)."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from peyvand_gateway.adapters.access_tokens import AccessTokenError, AccessTokens

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
CLAIMS = {"sub": "usr_01JAGENT", "role": "agent", "branch_codes": ["1021"]}


def _tokens(**kw: int) -> AccessTokens:
    return AccessTokens("s" * 32, dt.timedelta(minutes=15), **kw)


def test_a_remembered_token_is_not_decoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = _tokens()
    token, _ = tokens.issue(CLAIMS, "ses_1", NOW)
    decodes = []
    real = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decodes.append(1) or real(*a, **k))
    first = tokens.read(token, NOW)
    second = tokens.read(token, NOW + dt.timedelta(minutes=5))
    assert first == second and first["sub"] == "usr_01JAGENT" and len(decodes) == 1


def test_expiry_is_checked_on_every_read_of_a_remembered_token() -> None:
    tokens = _tokens()
    token, _ = tokens.issue(CLAIMS, "ses_1", NOW)
    tokens.read(token, NOW)
    with pytest.raises(AccessTokenError) as exc:
        tokens.read(token, NOW + dt.timedelta(minutes=15))
    assert exc.value.code == "TOKEN_EXPIRED"


@pytest.mark.parametrize("how", ["signature", "payload", "other_secret"])
def test_an_altered_token_is_refused_after_the_genuine_one_was_remembered(how: str) -> None:
    tokens = _tokens()
    token, _ = tokens.issue(CLAIMS, "ses_1", NOW)
    tokens.read(token, NOW)
    header, payload, signature = token.split(".")
    if how == "signature":
        forged = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    elif how == "payload":
        body = jwt.decode(token, options={"verify_signature": False})
        forged_payload = jwt.encode({**body, "role": "admin"}, "x" * 32, algorithm="HS256").split(".")[1]
        forged = f"{header}.{forged_payload}.{signature}"
    else:
        forged, _ = AccessTokens("o" * 32, dt.timedelta(minutes=15)).issue(CLAIMS, "ses_1", NOW)
    with pytest.raises(AccessTokenError) as exc:
        tokens.read(forged, NOW)
    assert exc.value.code == "TOKEN_INVALID"


def test_what_a_caller_changes_in_the_claims_is_not_remembered() -> None:
    tokens = _tokens()
    token, _ = tokens.issue(CLAIMS, "ses_1", NOW)
    tokens.read(token, NOW)["role"] = "admin"
    assert tokens.read(token, NOW)["role"] == "agent"


def test_memory_is_bounded_and_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = _tokens(remembered=2)
    issued = [tokens.issue(CLAIMS, f"ses_{i}", NOW)[0] for i in range(3)]
    for token in issued:
        tokens.read(token, NOW)
    assert list(tokens._verified) == issued[1:]  # the least recently read went first
    off = _tokens(remembered=0)
    token, _ = off.issue(CLAIMS, "ses_1", NOW)
    decodes = []
    real = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decodes.append(1) or real(*a, **k))
    off.read(token, NOW)
    off.read(token, NOW)
    assert len(decodes) == 2 and not off._verified
