"""Server-rendered pages, one blueprint per actor."""

from flask import Flask

from ..i18n import locale


def register(app: Flask) -> None:
    """Register every page blueprint and the template helpers."""
    # admin_*, citizen_digital, reviewer_citizens, reviewer_digital and reviewer_team add their routes to admin's,
    # citizen's and reviewer's blueprints; password_change to account's.
    from . import (  # noqa: F401
        account,
        admin,
        admin_campaigns,
        admin_criteria,
        admin_populations,
        admin_reports,
        admin_staff,
        admin_targets,
        admin_unit_figures,
        admin_wards,
        assessments,
        chair,
        citizen,
        citizen_digital,
        health,
        password_change,
        privacy,
        public,
        reviewer,
        reviewer_citizens,
        reviewer_digital,
        reviewer_team,
    )

    for module in (health, public, account, citizen, reviewer, chair, admin, assessments):
        app.register_blueprint(module.bp)

    @app.context_processor
    def _helpers() -> dict[str, object]:
        return {"lang": locale()}
