"""Celery entry point: `celery -A worker worker` (and `beat`). Builds the Flask app and exposes its Celery instance."""

import logging
import os
from typing import Any

from celery.signals import celeryd_init, setup_logging, worker_init, worker_process_init

from webapp import worker_metrics

worker_metrics.prepare()  # before prometheus_client is imported: it reads its folder then (ADR 45)

from webapp import create_app, log_setup  # noqa: E402 - after the folder is known
from webapp.access_log import log_format  # noqa: E402
from webapp.config import ConfigError, refuse_to_start, settings_or_exit, worker_problems  # noqa: E402

# A wrong configuration stops `celery -A worker worker|beat` here with the list of what is wrong, no traceback.
settings = settings_or_exit("CDHT (celery)")
flask_app = create_app(settings)
celery = flask_app.extensions["celery"]
# WeasyPrint logs each step of every render at INFO ("Step 1 - Fetching and parsing HTML", a line a page of a
# decision's list): thousands of lines a decision, and their cost. Its warnings and errors still show.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


@celeryd_init.connect  # type: ignore[untyped-decorator]
def check_worker_settings(**_kwargs: object) -> None:
    """A worker, unlike a beat or a web node, signs: it refuses to start without a signing key it can read."""
    problems = worker_problems(settings)
    if problems:
        refuse_to_start(ConfigError(problems), "CDHT's worker")


@setup_logging.connect  # type: ignore[untyped-decorator]
def configure_logging(loglevel: Any = None, **_kwargs: Any) -> None:
    """The worker's and beat's logs in LOG_FORMAT (JSON in production), each line with the task's id and name and
    the request's id it carries, identity numbers masked (webapp.log_setup). Celery's own set-up is skipped."""
    log_setup.configure(log_format(dict(os.environ)), loglevel or logging.WARNING)


@worker_init.connect  # type: ignore[untyped-decorator]
def serve_metrics(**_kwargs: Any) -> None:
    """The node's counters on WORKER_METRICS_PORT, from a fresh folder (the worker's main process, before its pool)."""
    if worker_metrics.port() is not None:
        worker_metrics.empty_folder()
        worker_metrics.serve(settings.metrics_token)


@worker_process_init.connect  # type: ignore[untyped-decorator]
def warm_renderer(**_kwargs: object) -> None:
    """Load fonts and stylesheets and render once in each pool process as it starts (about a second), so that the
    first certificate of a decision does not pay for it. Only workers import WeasyPrint; web processes never do."""
    from certificates.render import warm_up

    warm_up()
    logging.getLogger("cdht.worker").info("renderer warm")
