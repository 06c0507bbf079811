"""Settings refuse placeholder secrets outside development."""

from __future__ import annotations

import pytest
from peyvand_gateway.settings import GatewaySettings
from pydantic import ValidationError


def test_placeholder_jwt_secret_refused_in_production() -> None:
    with pytest.raises(ValidationError):
        GatewaySettings(peyvand_env="production", identity_secret="i" * 40, jwt_secret="changeme")


def test_real_secrets_accepted_in_production() -> None:
    settings = GatewaySettings(peyvand_env="production", identity_secret="i" * 40, jwt_secret="j" * 40)
    assert settings.http_port == 8000


def test_development_defaults_work() -> None:
    assert GatewaySettings(peyvand_env="development").jwt_secret
