"""Argon2id password hashing with rehash-on-login, and what a new password must not be."""

import os
import re
import secrets
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .names import fold


@cache
def _hasher() -> PasswordHasher:
    """argon2id with its recommended parameters; the test suite, which hashes thousands of passwords, asks for the
    cheapest with CDHT_TEST_FAST_HASHING=1 (tests/conftest.py), which a production process ignores."""
    if os.environ.get("CDHT_TEST_FAST_HASHING") == "1" and os.environ.get("CDHT_ENV") != "production":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


MIN_LENGTH = 10
MAX_LENGTH = 128  # the forms' and the API's bound (FieldErrors.secret)
_COMMON_FILE = Path(__file__).parent / "data" / "common_passwords.txt"
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "0987654321")


def hash_password(password: str) -> str:
    """Return an argon2id hash."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Check a password against its hash without raising."""
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Tell whether the hash was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(stored_hash)


@cache
def dummy_hash() -> str:
    """A fixed hash to verify against when the user does not exist, so timing does not reveal usernames."""
    return _hasher().hash("not-a-real-password")


UNUSABLE_PREFIX = "!"  # no argon2 hash starts so: verifying any password against it fails


def unusable_hash() -> str:
    """A password hash no password matches: the account of a citizen registered by ward staff, until the citizen
    sets their own password with an activation code (ADR 25). Cheap, so that an import of thousands stays fast."""
    return UNUSABLE_PREFIX + secrets.token_urlsafe(24)


def is_usable(stored_hash: str) -> bool:
    """Whether some password can match this hash (False until an assisted account is activated)."""
    return not stored_hash.startswith(UNUSABLE_PREFIX)


# --- what a new password must not be (ASVS 6.2: length, common passwords, the person's own details) ---------------

@cache
def _common() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(_squash(line) for line in lines if line.strip() and not line.startswith("#"))


def _squash(text: str) -> str:
    """Lower case, no diacritics, letters and digits only ("Mật khẩu 1!" → "matkhau1")."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


def _trivial(squashed: str) -> bool:
    """One character repeated, or a run along a keyboard row or the digits, forwards or backwards."""
    if len(set(squashed)) <= 2:
        return True
    return any(squashed in row * 3 or squashed in row[::-1] * 3 for row in _KEYBOARD_ROWS)


def _dates(born: date) -> set[str]:
    d, m, y = f"{born.day:02d}", f"{born.month:02d}", f"{born.year:04d}"
    return {d + m + y, y + m + d, d + m + y[2:], m + d + y, str(born.day) + str(born.month) + y}


def problem(password: str, *, cccd: str | None = None, name: str | None = None, born: date | None = None,
            others: Iterable[str] = ()) -> str | None:
    """Why this new password is refused (an error code), or None. Refused: shorter than MIN_LENGTH; longer than
    MAX_LENGTH; a common word or phrase, or one with only digits and signs around it; a trivial run (1111111111,
    1234567890, qwertyuiop); or built on the person's own details: their CCCD, date of birth, name or username."""
    if len(password) < MIN_LENGTH:
        return "password_too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    squashed = _squash(password)
    core = squashed.strip("0123456789")
    names = _squash(name or "")
    raw = [cccd or "", (cccd or "")[-6:], *(_dates(born) if born else ()), *others, names,
           *(w for w in fold(name or "").split() if len(w) >= 4)]
    personal = {p for p in map(_squash, raw) if len(p) >= 4}
    if any(p in squashed for p in personal) or (names and core and core in names):
        return "password_personal"  # said first: the person learns what not to use
    if not squashed or _trivial(squashed) or squashed in _common() or (core and (core in _common() or _trivial(core))):
        return "password_too_common"
    return None
