"""One-use form tokens: a form posted twice (a double click, back and send again) is recognised the second time and
not saved twice."""

import secrets

from flask import session


def form_token(name: str) -> str:
    """A new token for one form of this name; the five newest stay valid (several tabs)."""
    token = secrets.token_urlsafe(16)
    session[f"once:{name}"] = [token, *session.get(f"once:{name}", [])][:5]
    return token


def take_token(name: str, token: str) -> bool:
    """Use the token up: True the first time it comes back, False after (or for a token never given)."""
    tokens = list(session.get(f"once:{name}", []))
    if token not in tokens:
        return False
    tokens.remove(token)
    session[f"once:{name}"] = tokens
    return True
