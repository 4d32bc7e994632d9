"""Celery entry point: `celery -A worker worker`. Builds the Flask app and exposes its Celery instance."""

from webapp import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
