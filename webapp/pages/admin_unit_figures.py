"""The city administrator's unit-level figures: the plan's indicators about cadres, schools, learning centres and
workers, entered per ward or for the city and period with their source, and the history of what was entered."""

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlmodel import col, select

from workflows import unit_figures
from workflows.actors import Actor
from workflows.clock import today
from workflows.errors import Invalid
from workflows.inputs import FIRST_YEAR, UnitFigureInput, parse
from workflows.models import Ward
from workflows.validation import parse_int
from workflows.vocabulary import ReportPeriod, Role

from ..database import db
from ..dispatch import commit
from .access import require_role
from .admin import bp
from .formats import error_messages

THOUSANDS = re.compile(r"\d{1,3}(?:[.\s]\d{3})+")
FIELDS = ("indicator", "year", "period", "ward_code", "achieved", "total", "source_note")
IDS = {"period": "period-mid_year"}


@bp.route("/unit-figures", methods=["GET", "POST"])
@require_role(Role.CITY_ADMIN)
def unit_figure_list(actor: Actor) -> object:
    """The year's unit-level figures for the city, a form to enter one, and the latest entries."""
    s = db()
    form = request.form
    codes: dict[str, str] = {}
    if request.method == "POST":
        raw: dict[str, Any] = {k: form.get(k, "") for k in FIELDS}
        for k in ("achieved", "total"):  # "1.700" or "1 700": Vietnamese thousands, as the tables print them
            if THOUSANDS.fullmatch(raw[k].strip()):  # never "85.5" read as 855: that one is refused as it is
                raw[k] = re.sub(r"[.\s]", "", raw[k])
        try:
            figure, changed = unit_figures.enter(s, actor, parse(UnitFigureInput, raw))
            commit(s)
            flash(gettext("Figure saved.") if changed else gettext("Nothing changed: this figure is already in force."))
            return redirect(url_for(".unit_figure_list", year=figure.year))
        except Invalid as exc:
            s.rollback()
            codes = dict(exc.fields)
    year = parse_int(request.args.get("year", ""), FIRST_YEAR, today().year + 1) or today().year
    values = {k: form.get(k, "") for k in FIELDS}
    values["year"] = values["year"] or str(year)
    values["period"] = values["period"] or ReportPeriod.MID_YEAR.value
    errors = error_messages(codes, FIELDS, IDS)
    labels = {"indicator": gettext("Plan indicator"), "year": gettext("Year"), "period-mid_year": gettext("Period"),
              "ward_code": gettext("Ward or commune"), "achieved": gettext("Meeting the indicator"),
              "total": gettext("Counted"), "source_note": gettext("Source")}
    wards = s.exec(select(col(Ward.code), col(Ward.name)).where(Ward.active == True)  # noqa: E712
                   .order_by(col(Ward.code))).all()
    return render_template("pages/admin/unit_figures.html", year=year, lines=unit_figures.lines(s, year),
                           history=unit_figures.history(s), wards=wards, ward_names=dict(wards), values=values,
                           errors=errors, labels=labels), 422 if errors else 200
