"""Celery entry point: `celery -A worker worker`. Builds the Flask app and exposes its Celery instance."""

import logging

from celery.signals import celeryd_init, worker_process_init

from webapp import create_app
from webapp.config import ConfigError, refuse_to_start, settings_or_exit, worker_problems

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


@worker_process_init.connect  # type: ignore[untyped-decorator]
def warm_renderer(**_kwargs: object) -> None:
    """Load fonts and stylesheets and render once in each pool process as it starts (about a second), so that the
    first certificate of a decision does not pay for it. Only workers import WeasyPrint; web processes never do."""
    from certificates.render import warm_up

    warm_up()
    logging.getLogger("cdht.worker").info("renderer warm")
