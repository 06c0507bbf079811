"""The gateway's settings, read from the environment (one pydantic-settings class)."""

from __future__ import annotations

from typing import Literal

from peyvand_runtime.settings import PLACEHOLDER_SECRETS, ProcessSettings
from pydantic import model_validator

# Development only, and refused elsewhere by name. As long as HS256 asks of a key (32 bytes): a
# shorter one made PyJWT warn InsecureKeyLengthWarning on the first sign-in of every `make run`.
DEV_JWT_SECRET = "dev-only-jwt-secret-not-for-production"


class GatewaySettings(ProcessSettings):
    """``JWT_SECRET`` signs access tokens; ``IDENTITY_SECRET`` (inherited) signs the caller
    identity put in gRPC metadata. Both are refused when they are placeholders outside
    development and test."""

    jwt_secret: str = DEV_JWT_SECRET
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    customer_addr: str = "127.0.0.1:50051"
    policy_addr: str = "127.0.0.1:50052"
    ticketing_addr: str = "127.0.0.1:50053"
    campaign_addr: str = "127.0.0.1:50054"

    access_token_minutes: int = 15
    # How long a "this access token is not revoked" check is reused (per gateway process; 0 =
    # read the store on every request). Sign-out through this process takes effect at once;
    # a revocation made through another replica within this many seconds.
    revocation_check_seconds: float = 2.0
    refresh_token_days: int = 14
    # Failures before a lock, how long the lock lasts, and the first delay (doubling).
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    login_first_delay_seconds: float = 1.0

    # Per-user token bucket, per gateway replica (in memory).
    rate_limit_per_minute: int = 600
    rate_limit_burst: int = 120
    # Overall deadline of composed answers (360 view, my day) and of single backend calls.
    compose_deadline_seconds: float = 0.8
    # Threads serving requests (most of a request's time is spent waiting on backends).
    http_worker_threads: int = 100
    # Admission control (entrypoints/admission.py): API requests inside the app at once (0 = as
    # many as ``http_worker_threads``), how long one may wait for a slot, and how many may wait;
    # beyond that: 503 OVERLOADED with Retry-After.
    max_concurrent_requests: int = 0
    admission_wait_seconds: float = 0.5
    admission_queue: int = 200
    backend_timeout_seconds: float = 3.0
    # argon2id parameters: ``test`` is cheap and allowed only when PEYVAND_ENV=test.
    password_hash_profile: Literal["standard", "test"] = "standard"
    # Shared secret of the SMS provider's inbound webhook (``?secret=`` or ``X-Webhook-Secret``);
    # empty = the webhook is closed (answers 404).
    sms_webhook_secret: str = ""

    @model_validator(mode="after")
    def _refuse_placeholder_jwt_secret(self) -> GatewaySettings:
        if self.password_hash_profile == "test" and self.peyvand_env != "test":
            raise ValueError("PASSWORD_HASH_PROFILE=test is allowed only when PEYVAND_ENV=test")
        if self.peyvand_env not in ("development", "test"):
            if self.jwt_secret.lower() in PLACEHOLDER_SECRETS or self.jwt_secret == DEV_JWT_SECRET or len(self.jwt_secret) < 32:
                raise ValueError("JWT_SECRET must be a real secret of at least 32 characters outside development")
            if self.jwt_secret == self.identity_secret:
                raise ValueError("JWT_SECRET and IDENTITY_SECRET must differ")
        return self
