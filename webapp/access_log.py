"""gunicorn's access log without personal data or secrets (`logger_class` in gunicorn.conf.py).

The default line carries the request's whole address and the referrer: a password-reset link's token
(`/password/reset/<token>`), a reviewer's name search (`?q=Nguyễn…`) and whatever the previous page's address held.
Here a line has the method, the path with any token replaced by `…`, no query string, no referrer: enough to follow
traffic and errors, nothing to sign in with or to learn who was looked for.
"""

import re
from typing import Any

from gunicorn.glogging import Logger

# The path segments that are secrets: a reset link's token, an activation or any signed token we might add.
_SECRET_PATHS = re.compile(r"^(/password/reset/)[^/]+")


def redact(path: str) -> str:
    """The path as the log keeps it: a secret segment replaced by "…"."""
    return _SECRET_PATHS.sub(r"\1…", path)


class RedactingLogger(Logger):
    """gunicorn's logger whose access lines never hold a query string, a referrer or a secret path segment."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        path = redact(environ.get("PATH_INFO") or "")
        atoms.update({"U": path, "q": "-", "f": "-", "r": f"{atoms.get('m')} {path} {atoms.get('H')}"})
        # Request and response headers ({…}i, {…}o) may carry cookies, tokens and the referrer: none in the line.
        return {k: v for k, v in atoms.items() if not (k.startswith("{") and k[-2:] in ("}i", "}o"))}
