"""Server-rendered pages, one blueprint per actor."""

from flask import Flask

from ..i18n import locale


def register(app: Flask) -> None:
    """Register every page blueprint and the template helpers."""
    from . import admin, chair, citizen, health, public, reviewer

    for module in (health, public, citizen, reviewer, chair, admin):
        app.register_blueprint(module.bp)

    @app.context_processor
    def _helpers() -> dict[str, object]:
        return {"lang": locale()}
