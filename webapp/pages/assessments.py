"""Supervised assessments of digital skills, recorded by the ward's reviewers and by the staff of a community
learning centre (a role scoped to one ward) for citizens who took the test on paper (ADR 17)."""

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from workflows.actors import Actor
from workflows.digital import frameworks, verification
from workflows.errors import Invalid
from workflows.inputs import AssessmentInput, parse
from workflows.vocabulary import AttainmentState, Role

from ..database import db
from ..dispatch import commit
from . import formats
from .access import require_role
from .formats import date_from_parts, error_messages
from .once import form_token, take_token

bp = Blueprint("assessments", __name__, url_prefix="/assessments")
formats.register_filters(bp)

RECORDERS = (Role.WARD_REVIEWER, Role.CENTRE_STAFF)
ORDER = ("cccd", "achieved_on", "level", "centre", "reference")
IDS = {"achieved_on": "achieved_on-day", "level": "level-0"}
LABELS = {"cccd": _l("Personal identification number (CCCD number)"), "achieved_on-day": _l("Date of the test"),
          "level-0": _l("Level reached"), "centre": _l("Learning centre"), "reference": _l("Paper number")}
FIELDS = ("cccd", "level", "centre", "reference")


@bp.get("/")
@require_role(*RECORDERS)
def home(actor: Actor) -> object:
    """The assessments I recorded, newest first, and a button to record one."""
    return render_template("pages/assessments/home.html", rows=verification.recorded_by(db(), actor))


@bp.route("/new", methods=["GET", "POST"])
@require_role(*RECORDERS)
def record(actor: Actor) -> object:
    """Record one citizen's supervised test: found by CCCD in the staff member's ward."""
    s = db()
    form = request.form
    codes: dict[str, str] = {}
    if request.method == "POST":
        if not take_token("assessment", form.get("once", "")):
            return redirect(url_for(".home"))  # already recorded by the first click
        data: dict[str, Any] = {k: form.get(k, "") for k in FIELDS}
        data["achieved_on"], date_problem = date_from_parts(form, "achieved_on")
        try:
            saved = verification.record_assessment(s, actor, parse(AssessmentInput, data))
            commit(s)
            if saved.state == AttainmentState.VERIFIED:
                flash(gettext("The assessment is recorded and verified."))
            else:
                flash(gettext("The assessment is recorded. A reviewer of the ward or commune will verify it."))
            return redirect(url_for(".home"))
        except Invalid as exc:
            s.rollback()
            codes = dict(exc.fields)
        except IntegrityError:  # a second click raced the first past the checks: the first one recorded it
            s.rollback()
            return redirect(url_for(".home"))
        if date_problem:
            codes["achieved_on"] = date_problem
    last = verification.recorded_by(s, actor, limit=1)
    values: dict[str, Any] = {k: form.get(k, "") for k in FIELDS}
    if request.method == "GET" and last:
        values["centre"] = last[0].source  # the same centre as last time, most often
    values["achieved_on"] = {p: form.get(f"achieved_on-{p}", "") for p in ("day", "month", "year")}
    errors = error_messages(codes, ORDER, IDS)
    framework = frameworks.get(frameworks.BASIC_FRAMEWORK)
    return render_template("pages/assessments/form.html", values=values, errors=errors, labels=LABELS,
                           framework=framework, once=form_token("assessment")), 422 if errors else 200
