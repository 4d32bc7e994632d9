"""Flask extensions shared by the blueprints, and the keys the rate limits count by."""

import hashlib

from flask import Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def account_key() -> str:
    """The limit key of the account a sign-in names, hashed (the name may be a CCCD, never kept in Redis as is)."""
    from .security import request_json

    data = (request_json() if request.is_json else request.form) or {}
    name = "".join(str(data.get("username", "") if hasattr(data, "get") else "").split()).casefold()
    return "account:" + hashlib.sha256(name.encode()).hexdigest()[:32]


def refused_sign_in(response: Response) -> bool:
    """Only a refused sign-in counts against the account: its owner signing in is never held back by it."""
    return response.status_code == 401
