"""Application references a person can read out at a counter: eight characters in two groups ("K7MQ-3WHA"), from
an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U), so that no one has to ask "O or zero?"."""

import secrets

ALPHABET = "34679ACDEFGHJKMNPQRTVWXY"  # 24 characters: 24^8 ≈ 1.1e11 references
LENGTH = 8


def new_reference() -> str:
    """A new random reference, stored without its dash (the caller makes sure it is not taken)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(reference: str | None) -> str | None:
    """The reference as printed and read out: two groups of four."""
    return f"{reference[:4]}-{reference[4:]}" if reference else None


def normalise(text: str) -> str | None:
    """The stored form of a typed reference ("k7mq 3wha", "K7MQ-3WHA"), or None when it cannot be one."""
    raw = "".join(text.split()).replace("-", "").upper()
    return raw if len(raw) == LENGTH and all(ch in ALPHABET for ch in raw) else None
