"""Signed caller identities: what the gateway signs, services accept, and nothing else."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from peyvand_runtime.identity import Caller, IdentityError, Signer, Verifier, service_caller, sign, verify

SECRET = "a-test-secret-that-is-long-enough-0123"
NOW = dt.datetime(2025, 3, 20, 8, 30, tzinfo=dt.UTC)

MANAGER = Caller(
    principal="usr_01JQ0000000000000000000000",
    kind="user",
    role="manager",
    branch_codes=("1201", "1202"),
    region_code="TEH-N",
)
AGENT = Caller(principal="usr_01JQ0000000000000000000001", kind="user", role="agent", agent_id="agt_7", branch_codes=("1201",))


@pytest.mark.parametrize("caller", [MANAGER, AGENT, service_caller("policy-jobs")])
def test_a_signed_caller_verifies_to_the_same_caller(caller: Caller) -> None:
    assert verify(sign(caller, SECRET, NOW), SECRET, NOW + dt.timedelta(seconds=299)) == caller


def test_branch_codes_given_as_a_list_become_a_tuple() -> None:
    caller = Caller("usr_x", "user", "staff", branch_codes=["1201"])  # type: ignore[arg-type]
    assert caller.branch_codes == ("1201",)
    assert hash(caller)


def test_a_token_expires_after_its_ttl() -> None:
    token = sign(AGENT, SECRET, NOW, ttl_seconds=60)
    with pytest.raises(IdentityError, match="expired"):
        verify(token, SECRET, NOW + dt.timedelta(seconds=60))


def test_a_token_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(IdentityError, match="signature"):
        verify(sign(AGENT, "another-secret", NOW), SECRET, NOW)


def test_a_tampered_payload_is_refused() -> None:
    import base64
    import json

    payload, signature = sign(AGENT, SECRET, NOW).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(IdentityError, match="signature"):
        verify(f"{forged}.{signature}", SECRET, NOW)


@pytest.mark.parametrize("token", [None, "", "no-dot", ".", "abc.", ".abc", "a.b.c", "ünïcode.sig", "%%%.%%%"])
def test_missing_or_garbled_tokens_are_refused(token: str | None) -> None:
    with pytest.raises(IdentityError) as refused:
        verify(token, SECRET, NOW)
    assert refused.value.code == "UNAUTHENTICATED"


def test_a_well_signed_payload_that_is_not_a_caller_is_refused() -> None:
    import base64
    import hashlib
    import hmac

    payload = base64.urlsafe_b64encode(b'{"v":1,"sub":"usr_x","kind":"user","role":"pope","exp":99999999999}')
    payload_text = payload.rstrip(b"=").decode()
    signature = base64.urlsafe_b64encode(hmac.new(SECRET.encode(), payload_text.encode(), hashlib.sha256).digest())
    with pytest.raises(IdentityError, match="garbled"):
        verify(f"{payload_text}.{signature.rstrip(b'=').decode()}", SECRET, NOW)


@pytest.mark.parametrize(
    "fields",
    [
        {"principal": "", "kind": "user", "role": "admin"},
        {"principal": "usr_x", "kind": "robot", "role": "admin"},
        {"principal": "usr_x", "kind": "user", "role": "service"},
        {"principal": "svc:x", "kind": "service", "role": "admin"},
        {"principal": "usr_x", "kind": "user", "role": "agent"},
    ],
)
def test_inconsistent_callers_cannot_be_built(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Caller(**fields)


def test_signing_with_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        sign(AGENT, "", NOW)


# ---- Signer and Verifier: the per-process memories of the interceptors ----------------------

def test_the_signer_answers_what_sign_answers_and_reuses_a_token_within_its_second() -> None:
    signer = Signer(SECRET)
    first = signer(AGENT, NOW)
    assert first == sign(AGENT, SECRET, NOW)
    assert signer(AGENT, NOW + dt.timedelta(milliseconds=900)) is first  # same whole second: remembered
    later = signer(AGENT, NOW + dt.timedelta(seconds=1))
    assert later == sign(AGENT, SECRET, NOW + dt.timedelta(seconds=1)) != first  # a new second, a new exp
    assert signer(MANAGER, NOW) == sign(MANAGER, SECRET, NOW) != first  # per caller


def test_the_signer_forgets_when_full_and_refuses_an_empty_secret() -> None:
    signer = Signer(SECRET, size=2)
    for second in range(5):
        at = NOW + dt.timedelta(seconds=second)
        assert signer(AGENT, at) == sign(AGENT, SECRET, at)
    assert len(signer._made) <= 2
    with pytest.raises(ValueError):
        Signer("")


def test_the_verifier_remembers_valid_tokens_but_still_expires_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import peyvand_runtime.identity as identity

    verifier = Verifier(SECRET)
    token = sign(AGENT, SECRET, NOW, ttl_seconds=60)
    assert verifier(token, NOW) == AGENT
    checks: list[str] = []
    monkeypatch.setattr(identity, "_verified", lambda *a: checks.append("full") or (_ for _ in ()).throw(AssertionError))
    assert verifier(token, NOW + dt.timedelta(seconds=59)) == AGENT  # remembered: no second full check
    assert checks == []
    with pytest.raises(IdentityError, match="expired"):
        verifier(token, NOW + dt.timedelta(seconds=60))


@pytest.mark.parametrize("bad", [None, "", "no-dot", "a.b"])
def test_the_verifier_refuses_what_verify_refuses_every_time(bad: str | None) -> None:
    verifier = Verifier(SECRET)
    for _ in range(2):
        with pytest.raises(IdentityError):
            verifier(bad, NOW)
    assert verifier._valid == {}


def test_the_verifier_refuses_a_forged_token_after_seeing_the_real_one() -> None:
    verifier = Verifier(SECRET)
    real = sign(AGENT, SECRET, NOW)
    assert verifier(real, NOW) == AGENT
    with pytest.raises(IdentityError, match="signature"):
        verifier(sign(MANAGER, "another-secret", NOW), NOW)
    payload, signature = real.split(".")
    with pytest.raises(IdentityError, match="signature"):
        verifier(f"{payload}.{signature[:-2]}AA", NOW)


def test_the_verifier_forgets_when_full() -> None:
    verifier = Verifier(SECRET, size=3)
    for second in range(10):
        assert verifier(sign(AGENT, SECRET, NOW + dt.timedelta(seconds=second)), NOW) == AGENT
    assert len(verifier._valid) <= 3
