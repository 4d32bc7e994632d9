"""Short verification codes a person can read off paper and type back."""

from __future__ import annotations

import secrets

# Crockford base32: no I, L, O, U, so that the printed code cannot be misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
_GROUP = 5
# What people type by mistake for the letters left out of the alphabet.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _format(raw: str) -> str:
    return f"{raw[:_GROUP]}-{raw[_GROUP:]}"


def new_code() -> str:
    """Return a new random code such as "7K3QW-M9TXA" (50 bits from `secrets`)."""
    return _format("".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)))


def normalise_code(text: str) -> str:
    """Return the canonical "XXXXX-XXXXX" form of a typed code, or raise ValueError."""
    raw = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(raw) != CODE_LENGTH or any(char not in ALPHABET for char in raw):
        raise ValueError(f"not a verification code: {text!r}")
    return _format(raw)
