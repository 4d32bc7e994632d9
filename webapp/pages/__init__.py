"""Server-rendered pages, one blueprint per actor."""

from flask import Flask

from ..i18n import locale


def register(app: Flask) -> None:
    """Register every page blueprint and the template helpers."""
    from . import admin, assessments, chair, citizen, citizen_digital, health, public, reviewer, reviewer_digital  # noqa: F401 - their routes join citizen's and reviewer's

    for module in (health, public, citizen, reviewer, chair, admin, assessments):
        app.register_blueprint(module.bp)

    @app.context_processor
    def _helpers() -> dict[str, object]:
        return {"lang": locale()}
