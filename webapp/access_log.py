"""gunicorn's access log without personal data or secrets (`logger_class` in gunicorn.conf.py).

The default line carries the request's whole address and the referrer: a password-reset link's token
(`/password/reset/<token>`), a reviewer's name search (`?q=Nguyễn…`) and whatever the previous page's address held.
Here a line has the method, the path with any token replaced by `…`, no query string, no referrer: enough to follow
traffic and errors, nothing to sign in with or to learn who was looked for.

With `LOG_FORMAT=json` (production's default) the same fields come as one JSON object a line, with the request's id
(`X-Request-ID`, webapp.request_id), and the application's own records go to the same stream in the same form
(webapp.log_setup), every handler masking identity numbers (ADR 45).
"""

import logging
import os
import re
from typing import Any

from gunicorn.glogging import Logger

from . import log_setup

# The path segments that are secrets: a reset link's token, an activation or any signed token we might add.
_SECRET_PATHS = re.compile(r"^(/password/reset/)[^/]+")


def redact(path: str) -> str:
    """The path as the log keeps it: a secret segment replaced by "…"."""
    return _SECRET_PATHS.sub(r"\1…", path)


def log_format(env: dict[str, str] | None = None) -> str:
    """LOG_FORMAT, or its default: json in production, text in the embedded runtime (webapp.config checks it)."""
    e = os.environ if env is None else env
    chosen = e.get("LOG_FORMAT", "json" if e.get("CDHT_ENV") == "production" else "text").strip().lower()
    return chosen if chosen in log_setup.FORMATS else "text"


class RedactingLogger(Logger):
    """gunicorn's logger whose access lines never hold a query string, a referrer or a secret path segment."""

    def setup(self, cfg: Any) -> None:
        """gunicorn's handlers, then the format and the identity-number filter on them and on the root logger
        (where the application's records go)."""
        super().setup(cfg)
        self._log_format = log_format()
        log_setup.configure(self._log_format, logging.INFO)
        for own in (self.error_log, self.access_log):
            log_setup.protect(own, self._log_format)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        """The access line: gunicorn's own in text; in JSON, its fields and the request's id."""
        if getattr(self, "_log_format", "text") != "json":
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        headers = {k.lower(): v for k, v in getattr(resp, "headers", []) or []}
        self.access_log.info("%s %s %s", atoms["m"], atoms["U"], atoms["s"], extra={
            "method": atoms["m"], "path": atoms["U"], "status": atoms["s"], "bytes": atoms["B"],
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": headers.get("x-request-id")})

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        path = redact(environ.get("PATH_INFO") or "")
        atoms.update({"U": path, "q": "-", "f": "-", "r": f"{atoms.get('m')} {path} {atoms.get('H')}"})
        # Request and response headers ({…}i, {…}o) may carry cookies, tokens and the referrer: none in the line.
        return {k: v for k, v in atoms.items() if not (k.startswith("{") and k[-2:] in ("}i", "}o"))}
