"""Argon2id password hashing with rehash-on-login."""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """Return an argon2id hash."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Check a password against its hash without raising."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Tell whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


# A fixed hash to verify against when the user does not exist, so timing does not reveal usernames.
DUMMY_HASH = _hasher.hash("not-a-real-password")


UNUSABLE_PREFIX = "!"  # no argon2 hash starts so: verifying any password against it fails


def unusable_hash() -> str:
    """A password hash no password matches: the account of a citizen registered by ward staff, until the citizen
    sets their own password with an activation code (ADR 25). Cheap, so that an import of thousands stays fast."""
    return UNUSABLE_PREFIX + secrets.token_urlsafe(24)


def is_usable(stored_hash: str) -> bool:
    """Whether some password can match this hash (False until an assisted account is activated)."""
    return not stored_hash.startswith(UNUSABLE_PREFIX)
