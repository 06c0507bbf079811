"""Customer process settings: the spine's, plus the key that blinds official ids in indexes."""

from __future__ import annotations

import hashlib

from peyvand_runtime.settings import GrpcServerSettings, WorkerSettings
from pydantic import model_validator


class _CustomerExtras:
    """``CUSTOMER_ID_INDEX_KEY``: HMAC key for the blind index of national/legal ids (set once per
    deployment: changing it means rewriting every party's ``official_id_key``).
    ``PARTIES_GAUGE_INTERVAL_SECONDS``: how often the worker refreshes peyvand_customer_parties."""

    customer_id_index_key: str
    peyvand_env: str

    def id_index_key(self) -> bytes:
        key = self.customer_id_index_key or ("dev:" + getattr(self, "identity_secret", ""))
        return hashlib.sha256(("peyvand-customer-id-index:" + key).encode()).digest()

    def _check_index_key(self) -> None:
        if self.peyvand_env not in ("development", "test") and len(self.customer_id_index_key) < 32:
            raise ValueError("CUSTOMER_ID_INDEX_KEY must be at least 32 characters outside development")


class CustomerGrpcSettings(_CustomerExtras, GrpcServerSettings):
    customer_id_index_key: str = ""
    parties_gauge_interval_seconds: float = 300.0

    @model_validator(mode="after")
    def _key(self) -> CustomerGrpcSettings:
        self._check_index_key()
        return self


class CustomerWorkerSettings(_CustomerExtras, WorkerSettings):
    customer_id_index_key: str = ""
    parties_gauge_interval_seconds: float = 300.0

    @model_validator(mode="after")
    def _key(self) -> CustomerWorkerSettings:
        self._check_index_key()
        return self
