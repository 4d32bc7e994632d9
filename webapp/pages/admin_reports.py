"""The city administrator's reports on Plan 52: freeze the figures as sent (mid-year, year-end), read a frozen
report, its revisions, and what has changed in the live figures since."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from workflows import reports
from workflows import rollup as rollups
from workflows.actors import Actor
from workflows.clock import today
from workflows.errors import NotFound
from workflows.validation import parse_int
from workflows.vocabulary import ReportPeriod, Role

from ..database import db
from ..dispatch import commit
from .access import require_role
from .admin import FIRST_YEAR, bp


@bp.route("/reports", methods=["GET", "POST"])
@require_role(Role.CITY_ADMIN)
def report_list(actor: Actor) -> object:
    """The year's frozen reports, and a form to freeze the live figures as a report."""
    s = db()
    current = today().year
    year = parse_int(request.values.get("year", ""), FIRST_YEAR, current + 1) or current
    if request.method == "POST":
        period = request.form.get("period", "")
        if period not in ReportPeriod.values():
            raise NotFound()
        snapshot = reports.freeze(s, actor, year, ReportPeriod(period), request.form.get("note", ""))
        commit(s)
        flash(gettext("The figures are frozen as this report."))
        return redirect(url_for(".report", snapshot_id=snapshot.id))
    return render_template("pages/admin/reports.html", year=year, years=range(FIRST_YEAR, current + 2),
                           snapshots=reports.of_year(s, year))


@bp.get("/reports/<snapshot_id>")
@require_role(Role.CITY_ADMIN)
def report(actor: Actor, snapshot_id: str) -> object:
    """A frozen report as sent, its other revisions, and the live figures' changes since."""
    s = db()
    snapshot = reports.get(s, actor, snapshot_id)
    live = rollups.as_data(rollups.rollup(s, actor, snapshot.year))
    return render_template("pages/admin/report.html", snapshot=snapshot, figures=snapshot.figures,
                           revisions=[r for r in reports.of_year(s, snapshot.year) if r.period == snapshot.period],
                           changes=reports.changes_since(snapshot, live))
