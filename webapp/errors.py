"""Errors answer in the user's language: JSON {"error": {...}} under /api, a page elsewhere; never a 500."""

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from certificates import StorageError, StorageKeyMissing
from workflows.errors import DomainError

from .i18n import field_params, locale, message

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"
security_log = logging.getLogger("cdht.security")  # the route's pattern, never its values or the body

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media",
              429: "rate_limited"}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, fields: dict[str, str] | None = None,
                   params: Mapping[str, Any] | None = None) -> tuple[Response, int]:
    """The API's error body, with each field's message translated (params fill the messages' placeholders)."""
    lang = locale()
    params = params or {}
    body: dict[str, Any] = {"error": {
        "code": code, "message": message(code, lang, **params),
        "fields": {name: message(err, lang, **field_params(params, name)) for name, err in (fields or {}).items()},
        "field_codes": fields or {},
        # a file's bad rows (`row.N` in fields): the column at fault in each; empty otherwise
        "columns": dict(params["columns"]) if isinstance(params.get("columns"), Mapping) else {}}}
    return jsonify(body), status


def _page(status: int, code: str, params: Mapping[str, Any] | None = None) -> tuple[str, int]:
    return render_template("error.html", status=status, text=message(code, **(params or {}))), status


def _unavailable() -> ResponseReturnValue:
    """503 for a dependency that did not answer; the client may try again in half a minute."""
    response = error_response(503, "unavailable") if _wants_json() else _page(503, "unavailable")
    return response[0], 503, {"Retry-After": "30"}


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> ResponseReturnValue:
        if exc.status == 403:
            security_log.warning("denied: %s %s (%s)", request.method, request.url_rule, exc.code)
        if _wants_json():
            return error_response(exc.status, exc.code, exc.fields, exc.params)
        return _page(exc.status, exc.code, exc.params)

    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> ResponseReturnValue:
        return _page(400, "csrf")

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError) -> ResponseReturnValue:
        # Two requests raced past the same uniqueness check: the loser gets a conflict, not a 500.
        security_log.info("integrity conflict: %s %s (%s)", request.method, request.url_rule, type(exc.orig).__name__)
        return error_response(409, "conflict") if _wants_json() else _page(409, "conflict")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_down(exc: DBAPIError) -> ResponseReturnValue:
        # The database cannot be reached (down, restarting, out of connections): 503, and the pool drops the broken
        # connections, so the next request after it is back connects afresh. The transaction did not commit.
        log.error("database unavailable: %s", type(exc.orig).__name__)
        return _unavailable()

    @app.errorhandler(StorageError)
    def _storage_down(exc: StorageError) -> ResponseReturnValue:
        # The object store did not answer (S3 unreachable, a full or read-only folder): 503, as for the database. A
        # missing key is the caller's 404, never an outage.
        if isinstance(exc, StorageKeyMissing):
            return error_response(404, "not_found") if _wants_json() else _page(404, "not_found")
        log.error("storage unavailable: %s", type(exc.__cause__ or exc).__name__)
        return _unavailable()

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        if status == 429:
            security_log.warning("rate limited: %s %s", request.method, request.url_rule)
        code = HTTP_CODES.get(status, "server_error" if status >= 500 else "bad_request")
        if _wants_json():
            return error_response(status, code)
        return _page(status, code)
