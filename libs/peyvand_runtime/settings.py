"""Settings read from the environment (pydantic-settings), one class per process kind."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev-only-secret", "development"})
DEV_IDENTITY_SECRET = "dev-only-secret"


class ProcessSettings(BaseSettings):
    """What every Peyvand process reads. ``PEYVAND_ENV`` is ``development``, ``test`` or ``production``."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    peyvand_env: str = Field(default="development")
    log_level: str = "INFO"
    mongodb_uri: str = "mongodb://127.0.0.1:27017/"
    # Each service's own database name; tests add a per-run suffix.
    mongodb_db_suffix: str = ""
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    # HMAC key that signs the caller identity the gateway puts in gRPC metadata.
    identity_secret: str = DEV_IDENTITY_SECRET
    metrics_port: int = 0

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ProcessSettings:
        if self.peyvand_env not in ("development", "test") and self.identity_secret.lower() in PLACEHOLDER_SECRETS:
            raise ValueError("IDENTITY_SECRET must be set to a real secret outside development")
        if self.peyvand_env not in ("development", "test") and len(self.identity_secret) < 32:
            raise ValueError("IDENTITY_SECRET must be at least 32 characters outside development")
        return self

    def database_name(self, service: str) -> str:
        return f"peyvand_{service}{self.mongodb_db_suffix}"


class GrpcServerSettings(ProcessSettings):
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 0
    grpc_max_workers: int = 16
    grpc_grace_seconds: float = 5.0


class WorkerSettings(ProcessSettings):
    consumer_max_attempts: int = 5
    consumer_retry_delay_ms: int = 2000
    consumer_prefetch: int = 64


class RelaySettings(ProcessSettings):
    relay_page_size: int = 500
    relay_idle_sleep_seconds: float = 0.2
    relay_max_backoff_seconds: float = 10.0


class JobSettings(ProcessSettings):
    job_interval_seconds: float = 60.0
    lease_seconds: float = 30.0
