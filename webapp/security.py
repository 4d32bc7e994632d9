"""Request hygiene and response headers for every page and answer."""

import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask import session as cookie
from flask.sessions import SecureCookieSessionInterface

from workflows import bounded_json
from workflows.errors import DomainError

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
# NUL and lone surrogates cannot be stored (PostgreSQL refuses NUL, UTF-8 refuses surrogates): refuse them early.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie session, signed with HMAC-SHA-256 rather than itsdangerous' SHA-1 default."""

    digest_method = staticmethod(hashlib.sha256)


class BadJson(DomainError):
    """The body is not a JSON object (malformed, or nested deeper than any request of ours)."""

    status = 400
    code = "bad_json"

    def __init__(self) -> None:
        super().__init__(depth=bounded_json.MAX_DEPTH)


def request_json() -> Any:
    """The request's JSON body (None when it is not JSON or does not parse); BadJson when nested too deep."""
    try:
        data = request.get_json(silent=True)
    except RecursionError as exc:  # the parser gave up on the nesting: the same answer as any bad JSON
        raise BadJson() from exc
    if bounded_json.too_deep(data):
        raise BadJson()
    return data


class UnsafeText(DomainError):
    """The request carries characters no text field may hold."""

    status = 400
    code = "invalid_characters"


def _has_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_unstorable(k) or _has_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_unstorable(v) for v in value)
    return False


def safe_local_path(target: str | None, default: str = "/") -> str:
    """A same-site path to redirect to, or the default (no scheme, no host, no control characters)."""
    if not target or any(ord(ch) < 32 or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def init_app(app: Flask) -> None:
    """Refuse unstorable text before any view runs; add a strict CSP and the usual hardening headers; sign the
    session cookie with HMAC-SHA-256."""
    app.session_interface = SessionCookies()

    @app.before_request
    def _refuse_unstorable_text() -> None:
        values: list[Any] = [*request.args.values(), *request.form.values(), request.path]
        if request.is_json:
            values.append(request_json())
        if any(_has_unstorable(v) for v in values):
            raise UnsafeText()

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if "Cache-Control" not in response.headers and (cookie.get("_user_id") or "Authorization" in request.headers):
            # What a signed-in person sees is theirs: no shared or browser cache keeps it (Back after sign-out
            # shows nothing). Views that set their own (files: private, no-store) keep it.
            response.headers["Cache-Control"] = "no-store"
        return response
