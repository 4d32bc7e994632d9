"""A worker node's own metrics (ADR 45): its pool processes' counters (certificates issued, failed, swept), summed
over the node's `PROMETHEUS_MULTIPROC_DIR` and served by the worker's main process on `WORKER_METRICS_PORT`, behind
the same bearer token as the web's /metrics. They tell what this node did since it started (rates, a stuck node);
the totals every node agrees on are the web's, read from the database.

worker.py calls `prepare()` before anything imports prometheus_client (which reads the folder at import) and
`serve()` once the worker's main process starts.
"""

import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"
PORT = "WORKER_METRICS_PORT"
FOLDER = "PROMETHEUS_MULTIPROC_DIR"


def prepare(env: dict[str, str] | None = None) -> None:
    """With a metrics port and no folder given, the worker's processes share one under the instance folder."""
    e = os.environ if env is None else env
    if e.get(PORT) and not e.get(FOLDER):
        instance = e.get("CDHT_INSTANCE_PATH") or str(Path(__file__).resolve().parent.parent / "instance")
        e[FOLDER] = str(Path(instance) / "metrics-worker")
    if e.get(FOLDER):
        Path(e[FOLDER]).mkdir(parents=True, exist_ok=True)  # prometheus_client opens its files there at import


def port() -> int | None:
    """WORKER_METRICS_PORT as a port number, or None; a bad value stops the worker naming it."""
    value = os.environ.get(PORT, "")
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or not 0 < int(value) < 65536:
        raise SystemExit(f"{PORT} must be a port number (1-65535), not {value!r}")
    return int(value)


def empty_folder() -> None:
    """Start from zero: the files of an earlier run of this worker are removed (its main process, before the pool)."""
    folder = os.environ.get(FOLDER)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No line a scrape: the access would be noise every 15 seconds."""


def serve(token: str) -> int | None:
    """Serve the node's counters on WORKER_METRICS_PORT in a daemon thread; return the port, or None when none is
    configured. Without a token nothing is served (the web's rule: no token, no metrics)."""
    number = port()
    if number is None:
        return None
    if not token:
        log.warning("%s is set but METRICS_TOKEN is not: the worker's metrics are not served", PORT)
        return None
    from .metrics import CONTENT_TYPE, authorised, exposition

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") != "/metrics" or not authorised(environ.get("HTTP_AUTHORIZATION"), token):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Cache-Control", "no-store")])
        return [exposition()]

    server = make_server("0.0.0.0", number, app, handler_class=_Quiet)  # noqa: S104 - scraped from another machine
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    log.info("worker metrics served on port %d", number)
    return number
