"""Celery entry point: `celery -A worker worker`. Builds the Flask app and exposes its Celery instance."""

import logging

from celery.signals import worker_process_init

from webapp import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]


@worker_process_init.connect
def warm_renderer(**_kwargs: object) -> None:
    """Load fonts and stylesheets and render once in each pool process as it starts (about a second), so that the
    first certificate of a decision does not pay for it. Only workers import WeasyPrint; web processes never do."""
    from certificates.render import warm_up

    warm_up()
    logging.getLogger(__name__).info("renderer warm")
