"""Wiring: builds the gateway's dependencies once per process (nothing at import time)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from peyvand_runtime import store
from peyvand_runtime.tehran_time import utc_now
from pymongo.database import Database

from peyvand_gateway.adapters import passwords
from peyvand_gateway.adapters.access_tokens import AccessTokens
from peyvand_gateway.adapters.backends import Backends, build_backends
from peyvand_gateway.adapters.device_repository import PushTokenRepository, SyncReceiptRepository
from peyvand_gateway.adapters.org_repository import OrgRepository
from peyvand_gateway.adapters.user_repository import SessionRepository, ThrottleRepository, UserRepository
from peyvand_gateway.domain.login_throttle import ThrottlePolicy
from peyvand_gateway.domain.rate_limit import TokenBuckets
from peyvand_gateway.service_layer.auth import AuthService
from peyvand_gateway.service_layer.org import ensure_indexes
from peyvand_gateway.settings import GatewaySettings


@dataclass
class Gateway:
    settings: GatewaySettings
    db: Database[Any]
    org: OrgRepository
    users: UserRepository
    auth: AuthService
    backends: Backends
    push_tokens: PushTokenRepository
    receipts: SyncReceiptRepository
    rate_limits: TokenBuckets
    clock: Callable[[], dt.datetime] = utc_now
    monotonic: Callable[[], float] = field(default=time.monotonic)

    def close(self) -> None:
        self.backends.close()


def bootstrap(
    settings: GatewaySettings | None = None,
    *,
    db: Database[Any] | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    backends: Backends | None = None,
) -> Gateway:
    settings = settings or GatewaySettings()
    passwords.configure(settings.password_hash_profile)
    if db is None:
        db = store.connect("gateway", settings)
    ensure_indexes()
    from peyvand_gateway.entrypoints.metrics import LOGINS

    org = OrgRepository(db)
    users = UserRepository(db)
    auth = AuthService(
        users=users,
        throttles=ThrottleRepository(db),
        sessions=SessionRepository(db),
        org=org,
        tokens=AccessTokens(settings.jwt_secret, dt.timedelta(minutes=settings.access_token_minutes)),
        policy=ThrottlePolicy(
            max_failures=settings.login_max_failures,
            lock=dt.timedelta(minutes=settings.login_lock_minutes),
            first_delay=dt.timedelta(seconds=settings.login_first_delay_seconds),
        ),
        refresh_ttl=dt.timedelta(days=settings.refresh_token_days),
        clock=clock,
        on_login=lambda outcome: LOGINS.labels(outcome).inc(),
        revocation_check_seconds=settings.revocation_check_seconds,
    )
    return Gateway(
        settings=settings,
        db=db,
        org=org,
        users=users,
        auth=auth,
        backends=backends or build_backends(settings),
        push_tokens=PushTokenRepository(db),
        receipts=SyncReceiptRepository(db),
        rate_limits=TokenBuckets(settings.rate_limit_per_minute / 60.0, settings.rate_limit_burst),
        clock=clock,
    )
