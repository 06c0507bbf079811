"""Password hashing with argon2id.

``standard`` is argon2-cffi's recommended profile (RFC 9106 low-memory). ``test`` is a cheap
profile for the test suite only: the settings refuse it unless ``PEYVAND_ENV=test``. A hash
made with other parameters still verifies; ``needs_rehash`` then upgrades it on sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PROFILES = {
    "standard": PasswordHasher(),
    # Cheap on purpose (1 pass, 8 MiB): only for tests, where hundreds of sign-ins run.
    "test": PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1),
}
_hasher = PROFILES["standard"]
# Verified against when the username is unknown, so both paths cost the same time.
_dummy_hashes: dict[int, str] = {}


def configure(profile: str) -> None:
    """Choose the hashing profile for this process (bootstrap calls it from the settings)."""
    global _hasher
    _hasher = PROFILES[profile]


def _dummy_hash() -> str:
    key = id(_hasher)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = _hasher.hash("peyvand-no-such-user")
    return _dummy_hashes[key]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
