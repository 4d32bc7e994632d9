"""The city administrator's population figures: import a CSV file of denominators (dry run first), see which wards
have a figure for the year, and the history of imports."""

from typing import Any

from flask import render_template, request
from flask_babel import gettext
from sqlalchemy import func
from sqlmodel import select

from workflows import populations
from workflows.actors import Actor
from workflows.clock import today
from workflows.errors import Invalid
from workflows.models import Population, Ward
from workflows.vocabulary import PEOPLE_MODES, Role

from ..database import db
from ..dispatch import commit
from ..uploads import flag, read_file
from .access import require_role
from .admin import bp
from .formats import file_errors


@bp.route("/populations", methods=["GET", "POST"])
@require_role(Role.CITY_ADMIN)
def population_figures(actor: Actor) -> object:
    """Import population figures; which wards have one this year; the imports so far."""
    s = db()
    codes: dict[str, str] = {}
    params: dict[str, Any] = {}
    report = None
    form = request.form
    if request.method == "POST":
        dry_run = flag("dry_run")
        try:
            data, name = read_file()
            rows = populations.parse(data, populations.known_wards(s))
            report = populations.import_populations(s, actor, rows, form.get("source", ""), file_name=name,
                                                    dry_run=dry_run)
            if dry_run:
                s.rollback()
            else:
                commit(s)
        except Invalid as exc:
            s.rollback()
            codes, params = dict(exc.fields), dict(exc.params)
    errors, bad_rows, more_errors = file_errors(codes, params, ("file", "source"))
    year = today().year
    total = s.exec(select(func.count()).select_from(Ward).where(Ward.active)).one()
    covered = dict(s.exec(select(Population.mode, func.count()).where(Population.year == year)
                          .group_by(Population.mode)).all())
    status = 422 if errors else 200
    return render_template(
        "pages/admin/populations.html", errors=errors, bad_rows=bad_rows, more_errors=more_errors, report=report,
        labels={"file": gettext("CSV file"), "source": gettext("Source of the figures")},
        source=form.get("source", ""), dry_run=flag("dry_run") or request.method == "GET",
        year=year, total=total, covered=[(m, covered.get(m.value, 0)) for m in PEOPLE_MODES],
        imports=populations.history(s)), status
