"""Settings refuse placeholder secrets outside development."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from peyvand_gateway.adapters.access_tokens import AccessTokens
from peyvand_gateway.settings import DEV_JWT_SECRET, GatewaySettings
from pydantic import ValidationError


def test_placeholder_jwt_secret_refused_in_production() -> None:
    with pytest.raises(ValidationError):
        GatewaySettings(peyvand_env="production", identity_secret="i" * 40, jwt_secret="changeme")


def test_the_development_jwt_secret_is_refused_in_production_by_name() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        GatewaySettings(peyvand_env="production", identity_secret="i" * 40, jwt_secret=DEV_JWT_SECRET)


def test_tokens_signed_with_the_development_secret_raise_no_key_length_warning() -> None:
    secret = GatewaySettings(peyvand_env="development").jwt_secret
    tokens = AccessTokens(secret, dt.timedelta(minutes=15))
    now = dt.datetime.now(dt.UTC)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyJWT's InsecureKeyLengthWarning would fail this
        token, _ = tokens.issue({"sub": "usr_1", "role": "staff"}, "ses_1", now)
        assert tokens.read(token, now)["sub"] == "usr_1"


def test_real_secrets_accepted_in_production() -> None:
    settings = GatewaySettings(peyvand_env="production", identity_secret="i" * 40, jwt_secret="j" * 40)
    assert settings.http_port == 8000


def test_development_defaults_work() -> None:
    assert GatewaySettings(peyvand_env="development").jwt_secret


def test_cheap_password_hashing_only_in_tests() -> None:
    with pytest.raises(ValidationError):
        GatewaySettings(peyvand_env="development", password_hash_profile="test")
    assert GatewaySettings(peyvand_env="test", password_hash_profile="test").password_hash_profile == "test"


def test_segment_sample_names_are_masked_for_marketing_only() -> None:
    from peyvand.campaign.v1 import campaign_pb2
    from peyvand_gateway.entrypoints import presenters

    member = campaign_pb2.SegmentMember(customer_id="cus_1", display_name="مریم احمدی")
    assert presenters.segment_member(member, "marketing")["display_name"] == "مریم ا."
    assert presenters.segment_member(member, "admin")["display_name"] == "مریم احمدی"
