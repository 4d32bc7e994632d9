"""Opaque identifiers: never the CCCD, never guessable."""

import secrets


def new_id() -> str:
    """Return a random 22-character URL-safe id."""
    return secrets.token_urlsafe(16)
