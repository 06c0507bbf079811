"""Consent (service by default, marketing only when granted) and the channel fallback chain."""

from __future__ import annotations

import pytest
from peyvand_campaign.domain.channels import ContactPoints, choose_channel
from peyvand_campaign.domain.consent import Consent, effective_consents, may_send

GRANT_SMS_MARKETING = [{"channel": "sms", "purpose": "marketing", "granted": True}]


@pytest.mark.parametrize(("consents", "channel", "purpose", "allowed", "reason"), [
    ([], "sms", "service", True, "service_default"),
    ([{"channel": "sms", "purpose": "service", "granted": True}], "sms", "service", True, "service_granted"),
    ([{"channel": "sms", "purpose": "service", "granted": False}], "sms", "service", False, "service_revoked"),
    ([{"channel": "sms", "purpose": "service", "granted": False}], "email", "service", True, "service_default"),
    ([], "sms", "marketing", False, "marketing_not_granted"),
    (GRANT_SMS_MARKETING, "sms", "marketing", True, "marketing_granted"),
    (GRANT_SMS_MARKETING, "email", "marketing", False, "marketing_not_granted"),
    ([{"channel": "sms", "purpose": "marketing", "granted": False}], "sms", "marketing", False, "marketing_revoked"),
    ([], "fax", "service", False, "unknown_channel"),
    ([], "sms", "spam", False, "unknown_purpose"),
])
def test_consent_rules(consents: list[dict[str, object]], channel: str, purpose: str, allowed: bool, reason: str) -> None:
    decision = may_send(consents, channel, purpose)
    assert (decision.allowed, decision.reason) == (allowed, reason)


def test_the_latest_entry_for_a_channel_and_purpose_wins() -> None:
    history = [Consent("sms", "marketing", True), Consent("sms", "marketing", False)]
    assert not may_send(history, "sms", "marketing").allowed
    assert may_send([*history, Consent("sms", "marketing", True)], "sms", "marketing").allowed


def test_marketing_consent_does_not_imply_service_revocation_or_vice_versa() -> None:
    consents = [{"channel": "sms", "purpose": "marketing", "granted": True},
                {"channel": "sms", "purpose": "service", "granted": False}]
    assert may_send(consents, "sms", "marketing").allowed
    assert not may_send(consents, "sms", "service").allowed


def test_effective_consents_flatten_for_the_projection() -> None:
    flags = effective_consents(GRANT_SMS_MARKETING)
    assert flags["consent_sms_marketing"] is True
    assert flags["consent_email_marketing"] is False
    assert flags["consent_push_service"] is True
    assert len(flags) == 6


EVERYTHING = ContactPoints(mobile=True, email=True, push=True)


def test_the_steps_channel_is_used_when_reachable_and_consented() -> None:
    decision = choose_channel("email", EVERYTHING, [], "service")
    assert decision.channel == "email" and decision.reasons == () and not decision.fell_back


def test_no_mobile_falls_back_to_email_then_push() -> None:
    decision = choose_channel("sms", ContactPoints(email=True, push=True), [], "service")
    assert decision.channel == "email" and decision.reasons == ("sms:no_mobile",) and decision.fell_back
    decision = choose_channel("sms", ContactPoints(push=True), [], "service")
    assert decision.channel == "push"
    assert decision.reasons == ("sms:no_mobile", "email:no_email")


def test_revoked_consent_also_triggers_fallback() -> None:
    revoked = [{"channel": "sms", "purpose": "service", "granted": False}]
    decision = choose_channel("sms", EVERYTHING, revoked, "service")
    assert decision.channel == "email" and decision.reasons == ("sms:service_revoked",)


def test_marketing_needs_consent_on_whatever_channel_is_chosen() -> None:
    consents = [{"channel": "push", "purpose": "marketing", "granted": True}]
    decision = choose_channel("sms", EVERYTHING, consents, "marketing")
    assert decision.channel == "push"
    assert decision.reasons == ("sms:marketing_not_granted", "email:marketing_not_granted")


def test_nothing_usable_gives_no_channel_with_every_reason() -> None:
    decision = choose_channel("sms", ContactPoints(), [], "service")
    assert decision.channel is None
    assert decision.reasons == ("sms:no_mobile", "email:no_email", "push:no_push_token")


def test_preferred_channel_comes_before_the_chain_and_without_a_step_channel() -> None:
    assert choose_channel(None, EVERYTHING, [], "service", preferred="push").channel == "push"
    decision = choose_channel("sms", ContactPoints(email=True, push=True), [], "service", preferred="push")
    assert decision.channel == "push"


def test_allowed_and_exclude_limit_the_candidates() -> None:
    decision = choose_channel("sms", ContactPoints(email=True, push=True), [], "service", exclude={"push"})
    assert decision.channel == "email"
    decision = choose_channel("sms", ContactPoints(email=True, push=True), [], "service", allowed={"sms", "push"})
    assert decision.channel == "push" and "email:no_template" in decision.reasons


def test_contact_points_from_a_profile_never_keep_the_values() -> None:
    contacts = ContactPoints.from_profile({"mobile": "+989121234567", "email": "", "push_tokens": ["t1"]})
    assert contacts == ContactPoints(mobile=True, email=False, push=True)
