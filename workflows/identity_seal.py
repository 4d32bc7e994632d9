"""Identity numbers at rest: the database alone does not reveal a CCCD (ADR 42).

A CCCD is stored sealed with AES-SIV (RFC 5297), deterministic authenticated encryption: its synthetic IV is a keyed
hash (CMAC) of the number, and the number is encrypted under it. The same number always seals to the same text, so
the sealed value serves as the keyed hash for lookup: `Citizen.cccd == "001090000123"` seals the literal and finds
the row through the column's unique index, with no plain number anywhere in the database. What the database shows is
`~` and 38 base64url characters; without the key (kept out of the database: IDENTITY_KEY, else derived from
SECRET_KEY) it tells neither the number nor, because the tag is keyed, whether a guessed number is in it.

Where it applies: the citizen's CCCD, a staff member's own CCCD, and the username of a citizen's login (which is
their CCCD). `IdentityNumber` columns seal any value of twelve digits when written and unseal on reading; other
values (staff usernames) pass through unchanged. The key belongs to the engine (`use_key`), as the audit chain's does.

Framework-free: the web app, the worker, the CLI and the tools register their engine's key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from sqlalchemy import String
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.types import TypeDecorator

MARK = "~"  # a sealed value starts with it; no username may (workflows.accounts)
SEALED_LENGTH = 39  # "~" + base64url(16-byte tag + 12-byte number), unpadded
_NUMBER = re.compile(r"[0-9]{12}")
_ATTRIBUTE = "cdht_identity_seal"


class KeyMissing(RuntimeError):
    """The engine was made without an identity key, so sealed numbers can be neither written nor read."""


def is_plain_number(value: str | None) -> bool:
    """True for twelve digits: what an identity-number column seals."""
    return value is not None and _NUMBER.fullmatch(value) is not None


def derive_key(secret: bytes) -> bytes:
    """The 64-byte AES-SIV key (two AES-256 keys) derived from a secret of at least 32 bytes."""
    return hmac.new(secret, b"cdht identity numbers", hashlib.sha512).digest()


class Seal:
    """Seals and unseals identity numbers with one key."""

    def __init__(self, key: bytes) -> None:
        self._cipher = AESSIV(key)

    def seal(self, number: str) -> str:
        """The sealed text of a 12-digit number (the same text every time)."""
        raw = self._cipher.encrypt(number.encode("ascii"), None)
        return MARK + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def unseal(self, sealed: str) -> str:
        """The number a sealed text holds; ValueError if it was not sealed with this key."""
        try:
            raw = base64.urlsafe_b64decode(sealed[1:] + "=" * (-len(sealed[1:]) % 4))
            return self._cipher.decrypt(raw, None).decode("ascii")
        except (InvalidTag, ValueError) as exc:
            raise ValueError("an identity number sealed with another key") from exc

    def bind(self, value: str | None) -> str | None:
        """What a column stores for `value`: twelve digits sealed, anything else as it is."""
        return self.seal(value) if value is not None and is_plain_number(value) else value

    def read(self, value: str | None) -> str | None:
        """What a stored value means: a sealed one unsealed, anything else as it is."""
        return self.unseal(value) if value is not None and value.startswith(MARK) else value


def use_key(engine: Engine, key: bytes) -> None:
    """Seal and unseal the identity numbers of this engine's database with `key` (64 bytes: `derive_key`)."""
    setattr(engine.dialect, _ATTRIBUTE, Seal(key))


def seal_of(bind: Engine | Connection | Dialect) -> Seal:
    """The seal registered for an engine (or a connection's engine, or its dialect); KeyMissing if none was."""
    dialect = bind if isinstance(bind, Dialect) else bind.dialect
    seal = getattr(dialect, _ATTRIBUTE, None)
    if not isinstance(seal, Seal):
        raise KeyMissing("this database engine has no identity key: make it with make_engine(url, identity_key=...)")
    return seal


class IdentityNumber(TypeDecorator[str]):
    """A string column whose 12-digit values are stored sealed (see the module's text)."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return seal_of(dialect).bind(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return seal_of(dialect).read(value)
