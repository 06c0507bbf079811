"""Opt-out: STOP keywords in Persian and English, and tamper-proof unsubscribe tokens."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from peyvand_campaign.domain.opt_out import make_unsubscribe_token, parse_stop, verify_unsubscribe_token
from peyvand_runtime.domain import DomainError

SECRET = "s3cret-for-tests"


@pytest.mark.parametrize("reply", [
    "لغو", "لغو۱۱", "لغو 11", " لغو ۱۱ ", "لغو١١", "STOP", "stop", "Stop.", "انصراف", "انصراف!", "UNSUBSCRIBE",
    "\u200fلغو\u200f",
])
def test_stop_keywords_revoke_marketing_sms(reply: str) -> None:
    request = parse_stop(reply)
    assert request is not None and request.channel == "sms" and request.purposes == ("marketing",)
    assert request.consent_changes() == [{"channel": "sms", "purpose": "marketing", "granted": False}]


@pytest.mark.parametrize("reply", ["STOP ALL", "stop all", "لغو همه", "لغوهمه", "انصراف همه"])
def test_stop_all_also_revokes_service_sms(reply: str) -> None:
    request = parse_stop(reply)
    assert request is not None and request.purposes == ("marketing", "service")


@pytest.mark.parametrize("reply", ["", "سلام", "please stop calling", "لغو بیمه‌نامه من", "call", "11", "stopp",
                                   "ممنون لغو"])
def test_other_replies_are_not_opt_outs(reply: str) -> None:
    assert parse_stop(reply) is None


def test_unsubscribe_token_round_trip() -> None:
    token = make_unsubscribe_token(SECRET, "cus_01J0000000000000000000000", "email", "marketing")
    request = verify_unsubscribe_token(SECRET, token)
    assert (request.customer_id, request.channel, request.purpose) == (
        "cus_01J0000000000000000000000", "email", "marketing")
    assert "cus_" not in token  # not readable at a glance, but it is not a secret either
    assert token == make_unsubscribe_token(SECRET.encode(), "cus_01J0000000000000000000000", "email", "marketing")


def test_a_token_from_another_secret_is_refused() -> None:
    token = make_unsubscribe_token("other", "cus_1", "email", "marketing")
    with pytest.raises(DomainError) as caught:
        verify_unsubscribe_token(SECRET, token)
    assert caught.value.code == "TOKEN_INVALID"


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "!!!.???", "YQ.YQ"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(DomainError):
        verify_unsubscribe_token(SECRET, token)


@given(st.integers(min_value=0), st.integers(min_value=1, max_value=255))
def test_any_changed_character_is_detected(position: int, delta: int) -> None:
    token = make_unsubscribe_token(SECRET, "cus_1", "email", "marketing")
    index = position % len(token)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    replacement = alphabet[(alphabet.index(token[index]) + delta) % len(alphabet)]
    tampered = token[:index] + replacement + token[index + 1:]
    if tampered == token:
        return
    with pytest.raises(DomainError):
        verify_unsubscribe_token(SECRET, tampered)


def test_the_spare_bits_of_the_last_character_are_checked_too() -> None:
    token = make_unsubscribe_token(SECRET, "cus_1", "email", "marketing")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    for sibling in range(last & ~3, (last & ~3) + 4):  # same decoded bits, different spelling
        if alphabet[sibling] != token[-1]:
            with pytest.raises(DomainError):
                verify_unsubscribe_token(SECRET, token[:-1] + alphabet[sibling])


def test_another_customers_payload_with_a_copied_signature_is_refused() -> None:
    mine = make_unsubscribe_token(SECRET, "cus_1", "email", "marketing")
    theirs = make_unsubscribe_token(SECRET, "cus_2", "email", "marketing")
    forged = theirs.split(".")[0] + "." + mine.split(".")[1]
    with pytest.raises(DomainError):
        verify_unsubscribe_token(SECRET, forged)


def test_an_empty_secret_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        make_unsubscribe_token("", "cus_1", "email", "marketing")
