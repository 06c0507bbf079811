"""Settings of the policy jobs process (environment variables, on top of the spine's JobSettings)."""

from __future__ import annotations

from peyvand_runtime.settings import JobSettings
from pydantic import field_validator

from peyvand_policy.domain.renewal import DEFAULT_WINDOWS


class PolicyJobSettings(JobSettings):
    # RENEWAL_WINDOWS=45,30,15,7,1 — days before expiry, Tehran calendar days.
    renewal_windows: str = ",".join(str(w) for w in DEFAULT_WINDOWS)
    renewal_page_size: int = 1000
    lapse_lookback_days: int = 90
    # How often the policies-by-status gauge is refreshed from an aggregate.
    policy_gauge_interval_seconds: float = 300.0

    @field_validator("renewal_windows")
    @classmethod
    def _windows(cls, value: str) -> str:
        parsed = [int(part) for part in value.split(",") if part.strip()]
        if not parsed or any(w < 0 for w in parsed):
            raise ValueError("RENEWAL_WINDOWS is a comma-separated list of whole days")
        return value

    def windows(self) -> tuple[int, ...]:
        return tuple(sorted({int(part) for part in self.renewal_windows.split(",") if part.strip()}, reverse=True))
