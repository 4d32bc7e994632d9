"""Flask extensions shared by the blueprints, and the keys the rate limits count by."""

import hashlib

from flask import Response, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


ACCOUNT_SCOPE = "sign-in-account"  # the page's password and code steps count one account's refusals together


def account_key() -> str:
    """The limit key of the account a sign-in names, hashed (the name may be a CCCD, never kept in Redis as is)."""
    from .security import request_json

    data = (request_json() if request.is_json else request.form) or {}
    name = "".join(str(data.get("username", "") if hasattr(data, "get") else "").split()).casefold()
    return "account:" + hashlib.sha256(name.encode()).hexdigest()[:32]


def pending_account_key() -> str:
    """The limit key of the account whose code the second step of a sign-in asks (ADR 39): the same count as its
    refused passwords, so that a wrong code and a wrong password wait together."""
    from flask import session

    note = session.get("pending_sign_in")
    key = note.get("key") if isinstance(note, dict) else None
    return str(key) if key else "account:none"


def refused_sign_in(response: Response) -> bool:
    """Only a refused sign-in counts against the account: its owner signing in is never held back by it, nor is an
    API client asked for its code after a right password (401 otp_required)."""
    return response.status_code == 401 and not g.get("otp_asked", False)
