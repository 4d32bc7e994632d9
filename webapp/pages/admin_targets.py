"""The city administrator's targets: the plan's milestones in force, a form to set one, and those replaced."""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from workflows import targets
from workflows.actors import Actor
from workflows.errors import Invalid
from workflows.inputs import TargetInput, parse
from workflows.vocabulary import DenominatorMode, Role

from ..database import db
from ..dispatch import commit
from .access import require_role
from .admin import bp
from .formats import error_messages

FIELDS = ("indicator", "year", "percent", "denominator_mode", "source_document")
IDS = {"indicator": "indicator-cdht", "denominator_mode": "denominator_mode-residents_15_plus"}


@bp.route("/targets", methods=["GET", "POST"])
@require_role(Role.CITY_ADMIN)
def target_list(actor: Actor) -> object:
    """Milestones in force, a form to put one in force, and the history of replaced ones."""
    s = db()
    form = request.form
    codes: dict[str, str] = {}
    if request.method == "POST":
        raw: dict[str, Any] = {k: form.get(k, "") for k in FIELDS}
        raw["percent"] = raw["percent"].replace("%", "").strip()
        try:
            target, changed = targets.set_target(s, actor, parse(TargetInput, raw))
            commit(s)
            if changed:
                flash(gettext("Target saved: %(value)s by %(year)s.", value=f"{round(target.value * 100)} %",
                              year=target.year))
            else:
                flash(gettext("Nothing changed: this target is already in force."))
            return redirect(url_for(".target_list"))
        except Invalid as exc:
            s.rollback()
            codes = dict(exc.fields)
    values = {k: form.get(k, "") for k in FIELDS}
    values["denominator_mode"] = values["denominator_mode"] or DenominatorMode.RESIDENTS_15_PLUS.value
    errors = error_messages(codes, FIELDS, IDS)
    labels = {"indicator-cdht": gettext("Target for"), "year": gettext("Year"),
              "percent": gettext("Target, in per cent"),
              "denominator_mode-residents_15_plus": gettext("Share of whom"),
              "source_document": gettext("Document that sets it")}
    return render_template("pages/admin/targets.html", current=targets.in_force(s), replaced=targets.replaced(s),
                           values=values, errors=errors, labels=labels), 422 if errors else 200
