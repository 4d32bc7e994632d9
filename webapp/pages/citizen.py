"""The citizen's pages: register, "Năm của tôi", activities with evidence, self-assessment, check and submit."""

from itertools import groupby
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from workflows import applications as apps
from workflows import campaigns, criteria, history, issuance, names, references
from workflows.access import visible_application
from workflows.actors import Actor
from workflows.clock import today
from workflows.criteria import DIGITAL_INDICATOR, Worded
from workflows.digital import attainments as digital_records
from workflows.errors import Conflict, Invalid
from workflows.inputs import ActivityInput, ApplicationInput, SelfAssessmentInput, parse
from workflows.models import Activity, Application, Ward
from workflows.registration import receive
from workflows.states import EDITABLE_STATES
from workflows.validation import parse_int
from workflows.vocabulary import ApplicationState, CertificateStatus, Role

from ..database import db
from ..dispatch import commit
from ..downloads import pdf_response
from ..evidence import application_folder, checked_evidence, evidence_response, save_evidence
from ..extensions import limiter
from ..i18n import message
from ..runtime import runtime
from ..serializers import application_json
from . import formats
from .access import require_role
from .formats import date_from_parts, error_messages, hamlet_choices, month_only, parse_score, score_id
from .once import form_token, take_token

bp = Blueprint("citizen", __name__, url_prefix="/citizen")
formats.register_filters(bp)

REGISTER_ORDER = ("cccd", "full_name", "date_of_birth", "sex", "ward_code", "hamlet", "target_group", "password",
                  "email", "phone", "consent")
REGISTER_IDS = {"date_of_birth": "date_of_birth-day", "sex": "sex-male", "target_group": "target_group-resident"}
REGISTER_LABELS = {"cccd": _l("Personal identification number (CCCD number)"), "full_name": _l("Full name"),
                   "date_of_birth-day": _l("Date of birth"), "sex-male": _l("Sex"),
                   "ward_code": _l("Ward or commune"), "hamlet": _l("Residential group or village"),
                   "target_group-resident": _l("Target group"),
                   "password": _l("Password"), "email": _l("E-mail"), "phone": _l("Phone number"),
                   "consent": _l("Consent to processing of personal data")}
ACTIVITY_ORDER = ("title", "kind", "hours", "started_on", "ended_on", "provider", "indicator_codes", "evidence")
ACTIVITY_IDS = {"kind": "kind-course", "started_on": "started_on-day", "ended_on": "ended_on-day",
                "indicator_codes": "indicator_codes-0"}
ACTIVITY_LABELS = {"title": _l("Name of the activity"), "kind-course": _l("Kind of activity"),
                   "hours": _l("Hours"), "started_on-day": _l("Start date"), "ended_on-day": _l("End date"),
                   "provider": _l("Provider"), "indicator_codes-0": _l("Related indicators"),
                   "evidence": _l("Evidence")}


# --- helpers -------------------------------------------------------------------------------------------------------

def score_labels(indicators: list[Worded]) -> dict[str, str]:
    """Name each score input by its indicator code in an error summary."""
    return {score_id(i.code): gettext("Indicator %(code)s", code=i.code) for i in indicators}


def _editable(session: Session, actor: Actor, app_id: str) -> Application:
    app = visible_application(session, actor, app_id)
    if app.state not in EDITABLE_STATES:
        raise Conflict("not_editable")
    return app


def _tasks(view: dict[str, Any] | None, result: Any, indicator_count: int) -> list[dict[str, Any]]:
    """The task list of "Năm của tôi" with one status per task."""
    if view is None:
        return []
    editable = view["state"] in EDITABLE_STATES
    returned = view["state"] == ApplicationState.RETURNED
    activities = view["activities"]
    has_evidence = any(a["evidence"] for a in activities)
    scored = len(view["self_scores"])
    ready = bool(activities) and not result.missing
    app_id = view["id"]
    if not editable:
        submit_status = "done"
    elif returned:
        submit_status = "needs_fix"
    else:
        submit_status = "not_started" if ready else "cannot_start"
    return [
        {"id": "activities", "title": gettext("Log your learning activities"),
         "href": url_for(".activities", app_id=app_id), "status": "done" if activities else "not_started"},
        {"id": "evidence", "title": gettext("Upload evidence (optional)"),
         "href": url_for(".add_activity", app_id=app_id) if editable else None,
         "status": "done" if has_evidence else "not_started"},
        {"id": "self_assessment", "title": gettext("Assess yourself on the %(num)s indicators", num=indicator_count),
         "href": url_for(".self_assessment", app_id=app_id) if editable else None,
         "status": "done" if not result.missing else ("in_progress" if scored else "not_started")},
        {"id": "submit", "title": gettext("Check and submit your application"),
         # Once submitted, the row leads back to the receipt (the receipt says it can be found here).
         "href": (url_for(".check", app_id=app_id) if editable and ready else
                  None if editable else url_for(".submitted", app_id=app_id)), "status": submit_status},
    ]


def _steps(view: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Nộp → Phường xét → Ký quyết định → Cấp chứng nhận, each done, current, problem or to do."""
    state = ApplicationState(view["state"]) if view else None
    cert = view["certificate"] if view else None
    issued = cert is not None and cert["status"] == CertificateStatus.ISSUED
    a = ApplicationState
    by_state = {
        None: ("todo", "todo", "todo", "todo"), a.DRAFT: ("current", "todo", "todo", "todo"),
        a.SUBMITTED: ("done", "current", "todo", "todo"), a.RETURNED: ("done", "problem", "todo", "todo"),
        a.REJECTED: ("done", "problem", "todo", "todo"), a.APPROVED: ("done", "done", "current", "todo"),
        a.RECOGNISED: ("done", "done", "done", "done" if issued else "current"),
    }
    labels = (gettext("Submit"), gettext("Review by the ward or commune"), gettext("Recognition decision signed"),
              gettext("Certificate issued"))
    return [{"label": label, "status": status} for label, status in zip(labels, by_state[state], strict=True)]


def _notes(view: dict[str, Any] | None, app: Application | None) -> list[tuple[str, str, str]]:
    """(activity id, its title, the reviewer's note) for each activity the reviewer wrote about, in logged order."""
    if view is None or app is None or not app.review_notes:
        return []
    return [(a["id"], a["title"], app.review_notes[a["id"]]) for a in view["activities"] if a["id"] in app.review_notes]


def _indicator_notes(s: Any, app: Application | None) -> list[tuple[int, str, str]]:
    """(the self-assessment's page, the indicator's code, the reviewer's note) for each indicator the reviewer wrote
    about, in printed order (a page is one criterion, as the self-assessment shows them)."""
    if app is None or not app.review_notes:
        return []
    groups = [list(g) for _, g in groupby(apps.indicators_of(s, app), key=lambda i: i.competence)]
    return [(step, i.code, app.review_notes[i.code])
            for step, group in enumerate(groups, 1) for i in group if i.code in app.review_notes]


# --- registration --------------------------------------------------------------------------------------------------

def _wards(session: Session) -> list[tuple[str, list[Ward]]]:
    wards = sorted(session.exec(select(Ward).where(col(Ward.active).is_(True))).all(),
                   key=lambda w: names.fold(w.name))
    return [(kind, [w for w in wards if w.division_type == kind]) for kind in ("phường", "xã")]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: runtime().settings.registration_rate_limit, methods=["POST"])
def register() -> Any:
    """Create a citizen account with the CCCD, then ask them to sign in: the same answer for a number registered
    before, which creates nothing and tells its owner (ADR 43), so the page tells no one who is registered."""
    s = db()
    values: dict[str, Any] = {k: request.form.get(k, "") for k in REGISTER_ORDER if k not in ("password",)}
    values["dob"] = {p: request.form.get(f"date_of_birth-{p}", "") for p in ("day", "month", "year")}
    codes: dict[str, str] = {}
    if request.method == "POST":
        data = {k: request.form.get(k, "") for k in REGISTER_ORDER}
        data["date_of_birth"], date_error = date_from_parts(request.form, "date_of_birth")
        try:
            receive(s, data)
        except Invalid as exc:
            codes = dict(exc.fields) or {"cccd": exc.code}
        if date_error:
            codes["date_of_birth"] = date_error
        if not codes:
            commit(s)
            flash(gettext("Registration received. Sign in with your personal identification number and the password "
                          "you chose."))
            return redirect(url_for("public.login"))
        s.rollback()
    errors = error_messages(codes, REGISTER_ORDER, REGISTER_IDS)
    # Once the ward is known (sent with the form, or ?ward= in the link), its tổ dân phố / thôn are offered as a list.
    ward = values.get("ward_code") or request.args.get("ward", "")
    values["ward_code"] = ward
    return render_template("pages/citizen/register.html", values=values, errors=errors, labels=REGISTER_LABELS,
                           wards=_wards(s), hamlet_choices=hamlet_choices(s, ward)), 422 if errors else 200


# --- the year ------------------------------------------------------------------------------------------------------

@bp.get("/")
@require_role(Role.CITIZEN)
def home(actor: Actor) -> object:
    """Năm của tôi: the current year's task list, status steps and any returned banner."""
    s = db()
    year = today().year
    mine = apps.my_applications(s, actor)
    current = next((a for a in mine if a.year == year), None)
    view = application_json(s, current) if current else None
    result = apps.assessment(s, current, current.self_scores) if current else None
    # The campaign's dates, only while the citizen still has something to do (opening, or editing and submitting).
    dates = None
    if current is not None and current.state in EDITABLE_STATES:
        dates = campaigns.for_ward(s, current.ward_code, year)
    elif current is None and actor.citizen_id is not None:
        dates = campaigns.for_citizen(s, actor.citizen_id, year)
    worded = apps.indicators_of(s, current) if current else []  # the pinned set's, read once per process
    cset = apps.criteria_set_of(s, current) if current else None
    below = [w for w in worded if result and w.code in result.below_minimum]
    verify_url = (runtime().verify_url(view["certificate"]["code"])
                  if view and view["certificate"] and view["certificate"]["status"] == CertificateStatus.ISSUED
                  else None)
    return render_template("pages/citizen/home.html", year=year, app=view, tasks=_tasks(view, result, len(worded)),
                           steps=_steps(view), result=result, earlier=[a for a in mine if a.year != year],
                           indicator_count=len(worded), max_total=apps.max_total(s, current) if current else 0,
                           campaign=dates, today=today(), cset=cset, below=below, verify_url=verify_url,
                           notes=_notes(view, current), indicator_notes=_indicator_notes(s, current))


@bp.post("/applications")
@require_role(Role.CITIZEN)
def open_application(actor: Actor) -> object:
    """Open the application for the current year (a second click finds it already open)."""
    s = db()
    try:
        apps.open_application(s, actor, parse(ApplicationInput, {"year": request.form.get("year", "")}))
        commit(s)
    except Conflict as exc:
        s.rollback()
        if exc.code != "application_exists":  # outside the registration period, or the year is closed: say so
            params: dict[str, Any] = dict(exc.params)
            flash(message(exc.code, **params))
    return redirect(url_for(".home"))


@bp.get("/applications/<app_id>/activities")
@require_role(Role.CITIZEN)
def activities(actor: Actor, app_id: str) -> object:
    """The activities logged so far, as summary cards, with 'add another'."""
    s = db()
    app = visible_application(s, actor, app_id)
    view = application_json(s, app)
    # Dates given as a month and a year are shown so (03/2026).
    months = {a.id: (not a.started_day_known, not a.ended_day_known) for a in apps.activities_of(s, app)}
    return render_template("pages/citizen/activities.html", app=view, editable=view["state"] in EDITABLE_STATES,
                           months=months, notes=app.review_notes or {})


@bp.route("/applications/<app_id>/activities/new", methods=["GET", "POST"])
@require_role(Role.CITIZEN)
def add_activity(actor: Actor, app_id: str) -> object:
    """One activity with an optional evidence file (PDF, JPG or PNG up to 10 MB)."""
    return _activity_form(actor, app_id, None)


@bp.route("/applications/<app_id>/activities/<activity_id>/edit", methods=["GET", "POST"])
@require_role(Role.CITIZEN)
def edit_activity(actor: Actor, app_id: str, activity_id: str) -> object:
    """Change a logged activity, replace or take off its evidence, while the application is editable."""
    return _activity_form(actor, app_id, activity_id)


def _activity_form(actor: Actor, app_id: str, activity_id: str | None) -> object:
    """The activity form, new or filled with a logged activity; saved when it is valid."""
    s = db()
    app = _editable(s, actor, app_id)
    activity = apps.activity_of(s, app, activity_id) if activity_id else None
    form = request.form
    codes: dict[str, str] = {}
    if request.method == "POST":
        if activity is None and not take_token("activity", form.get("once", "")):
            return redirect(url_for(".activities", app_id=app.id))  # already saved by the first click
        data: dict[str, Any] = {k: form.get(k, "") for k in ("title", "kind", "provider")}
        data["hours"] = "".join(form.get("hours", "").split())
        data["indicator_codes"] = ",".join(form.getlist("indicator_codes"))
        date_errors = {}
        for name in ("started_on", "ended_on"):  # the day may be left out: the month and year are enough
            data[name], problem = date_from_parts(form, name, day_optional=True)
            data[name.replace("_on", "_day_known")] = not month_only(form, name)
            if problem:
                date_errors[name] = problem
        evidence = None
        try:
            evidence = checked_evidence(request.files.get("evidence"), application_folder(app.id))
        except Invalid as exc:
            codes.update(exc.fields)
        try:
            command = parse(ActivityInput, data)
            if activity is None:
                apps.add_activity(s, actor, app.id, command, evidence[0] if evidence else None)
            else:
                apps.update_activity(s, actor, app.id, activity.id, command, evidence[0] if evidence else None,
                                     remove_evidence=form.get("remove_evidence") == "yes")
        except Invalid as exc:
            codes = {**exc.fields, **codes}
        codes.update(date_errors)
        if not codes:
            if evidence:
                save_evidence(*evidence)
            s.commit()
            flash(gettext("The activity is saved.") if activity is None else gettext("The activity is changed."))
            return redirect(url_for(".activities", app_id=app.id))
        s.rollback()
        values: dict[str, Any] = {k: form.get(k, "") for k in ("title", "kind", "hours", "provider")}
        values["indicator_codes"] = form.getlist("indicator_codes")
        for name in ("started_on", "ended_on"):
            values[name] = {p: form.get(f"{name}-{p}", "") for p in ("day", "month", "year")}
    else:
        values = _activity_values(activity)
    errors = error_messages(codes, ACTIVITY_ORDER, ACTIVITY_IDS)
    return render_template("pages/citizen/activity_form.html", app=app, values=values, errors=errors,
                           labels=ACTIVITY_LABELS, indicators=apps.indicators_of(s, app), activity=activity,
                           once=form_token("activity")), 422 if errors else 200


def _activity_values(activity: Activity | None) -> dict[str, Any]:
    """The form's values for a logged activity (empty for a new one)."""
    def parts(day: Any) -> dict[str, str]:
        return {"day": str(day.day), "month": str(day.month), "year": str(day.year)} if day else \
            dict.fromkeys(("day", "month", "year"), "")

    if activity is None:
        return {"title": "", "kind": "", "hours": "", "provider": "", "indicator_codes": [],
                "started_on": parts(None), "ended_on": parts(None)}
    started, ended = parts(activity.started_on), parts(activity.ended_on)
    if not activity.started_day_known:
        started["day"] = ""
    if not activity.ended_day_known:
        ended["day"] = ""
    return {"title": activity.title, "kind": activity.kind, "hours": str(activity.hours),
            "provider": activity.provider or "", "indicator_codes": list(activity.indicator_codes),
            "started_on": started, "ended_on": ended}


@bp.route("/applications/<app_id>/activities/<activity_id>/delete", methods=["GET", "POST"])
@require_role(Role.CITIZEN)
def delete_activity(actor: Actor, app_id: str, activity_id: str) -> object:
    """Ask, then take a logged activity off the application."""
    s = db()
    app = _editable(s, actor, app_id)
    activity = apps.activity_of(s, app, activity_id)
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            return redirect(url_for(".activities", app_id=app.id))
        apps.delete_activity(s, actor, app.id, activity.id)
        s.commit()
        flash(gettext("The activity “%(title)s” is deleted.", title=activity.title))
        return redirect(url_for(".activities", app_id=app.id))
    return render_template("pages/citizen/activity_delete.html", app=app, activity=activity)


@bp.route("/applications/<app_id>/self-assessment", methods=["GET", "POST"])
@require_role(Role.CITIZEN)
def self_assessment(actor: Actor, app_id: str) -> object:
    """One criterion (tiêu chí) a page: its indicators worded for the citizen's target group, each scored in the
    set's range, the running total and the pass rule beside them (kept current as scores are typed, by site.js).
    Each page saves its own scores; "Save and continue" leads to the next criterion, the last one home."""
    s = db()
    app = _editable(s, actor, app_id)
    indicators = apps.indicators_of(s, app)
    groups = [list(g) for _, g in groupby(indicators, key=lambda i: i.competence)]
    step = min(max(parse_int(request.values.get("step", ""), 1, len(groups)) or 1, 1), len(groups))
    shown = groups[step - 1]
    codes: dict[str, str] = {}
    values = {i.code: str(app.self_scores.get(i.code, "")) for i in indicators}
    rule = apps.criteria_set_of(s, app)
    digital = digital_records.holding(s, app.citizen_id, app.year)
    if digital is not None and not values.get(DIGITAL_INDICATOR):
        values[DIGITAL_INDICATOR] = str(rule.max_score)  # offered, not saved: the citizen saves or changes it
    if request.method == "POST":
        sent = {i.code: request.form.get(score_id(i.code), "") for i in indicators
                if score_id(i.code) in request.form}
        values |= sent
        scores = {code: score for code, raw in sent.items() if (score := parse_score(raw)) is not None}
        try:
            apps.set_self_assessment(s, actor, app.id, parse(SelfAssessmentInput, {"scores": scores}))
            commit(s)
            if "step" in request.form and step < len(groups):
                return redirect(url_for(".self_assessment", app_id=app.id, step=step + 1))
            flash(gettext("Your self-assessment is saved."))
            return redirect(url_for(".home"))
        except Invalid as exc:
            s.rollback()
            codes = dict(exc.fields)
    order = [f"scores.{i.code}" for i in indicators]
    errors = error_messages(codes, order, {f"scores.{i.code}": score_id(i.code) for i in indicators},
                            criteria.rule_params(rule))
    result = apps.assessment(s, app, app.self_scores)
    on_page = {i.code for i in shown}
    others = {code: score for code, score in app.self_scores.items() if code not in on_page}
    return render_template("pages/citizen/self_assessment.html", app=app, rule=rule, digital=digital,
                           digital_indicator=DIGITAL_INDICATOR, indicators=indicators, shown=shown, step=step,
                           steps=len(groups), values=values, errors=errors, labels=score_labels(indicators),
                           result=result, score_id=score_id, other_total=sum(others.values()),
                           other_missing=len(indicators) - len(on_page) - len(others),
                           other_below=any(v < rule.pass_min_indicator for v in others.values()),
                           notes=app.review_notes or {}), 422 if errors else 200


@bp.route("/applications/<app_id>/check", methods=["GET", "POST"])
@require_role(Role.CITIZEN)
def check(actor: Actor, app_id: str) -> object:
    """Check your answers, then submit; a second submit lands on the confirmation."""
    s = db()
    codes: dict[str, str] = {}
    if request.method == "POST":
        try:
            apps.submit(s, actor, app_id)
            s.commit()
            return redirect(url_for(".submitted", app_id=app_id))
        except Invalid as exc:
            s.rollback()
            codes = dict(exc.fields)
        except Conflict:
            s.rollback()
            if visible_application(s, actor, app_id).state not in EDITABLE_STATES:
                return redirect(url_for(".submitted", app_id=app_id))
            raise
    app = visible_application(s, actor, app_id)
    if app.state not in EDITABLE_STATES:
        return redirect(url_for(".submitted", app_id=app.id))
    errors = error_messages(codes, ("activities", "self_scores"))
    return render_template("pages/citizen/check.html", app=application_json(s, app), rule=apps.criteria_set_of(s, app),
                           indicators=apps.indicators_of(s, app), result=apps.assessment(s, app, app.self_scores),
                           errors=errors), 422 if errors else 200


@bp.get("/applications/<app_id>/submitted")
@require_role(Role.CITIZEN)
def submitted(actor: Actor, app_id: str) -> object:
    """The confirmation panel and receipt (safe to revisit)."""
    s = db()
    app = visible_application(s, actor, app_id)
    if app.state in EDITABLE_STATES:
        return redirect(url_for(".check", app_id=app.id))
    return render_template("pages/citizen/submitted.html", app=application_json(s, app),
                           max_total=apps.max_total(s, app), reference=references.shown(app.reference),
                           timeline=history.timeline(s, app))


@bp.get("/certificates/<code>.pdf")
@require_role(Role.CITIZEN)
def certificate_pdf(actor: Actor, code: str) -> object:
    """The holder downloads their certificate, or opens it in the browser to print it (`?inline=1`)."""
    return pdf_response(issuance.certificate_for(db(), actor, code.strip().upper()),
                        inline=request.args.get("inline") == "1")


@bp.get("/applications/<app_id>/evidence/<activity_id>")
@require_role(Role.CITIZEN)
def evidence(actor: Actor, app_id: str, activity_id: str) -> object:
    """Download the evidence one uploaded."""
    return evidence_response(db(), actor, app_id, activity_id, request.args.get("view", "download"))
