"""The citizen's digital-skills pages: my records, the basic test part by part, its result, and sending the
certificate of a course for the ward to verify."""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from workflows.actors import Actor
from workflows.clock import today
from workflows.digital import attainments as digital_records
from workflows.digital import attempts as digital_attempts
from workflows.digital import frameworks as digital_frameworks
from workflows.digital import items as digital_items
from workflows.digital import verification
from workflows.errors import Conflict, Invalid
from workflows.inputs import CertificateInput, DigitalSelfAssessmentInput, parse
from workflows.validation import parse_int
from workflows.vocabulary import Role

from ..database import db
from ..dispatch import commit
from ..evidence import attainment_evidence_response, checked_evidence, digital_folder, save_evidence
from ..i18n import locale, message
from .access import require_role
from .citizen import bp
from .formats import LEVEL_BANDS, date_from_parts, error_messages
from .once import form_token, take_token

CERTIFICATE_ORDER = ("course", "issuer", "achieved_on", "evidence")
CERTIFICATE_IDS = {"achieved_on": "achieved_on-day"}
CERTIFICATE_LABELS = {"course": _l("Name of the course"), "issuer": _l("Who issued the certificate"),
                      "achieved_on-day": _l("Date on the certificate"), "evidence": _l("The certificate")}


@bp.get("/digital")
@require_role(Role.CITIZEN)
def digital(actor: Actor) -> object:
    """My digital skills: the records, and the basic test to take or continue."""
    s = db()
    records = digital_records.of_citizen(s, actor)
    year = today().year
    holds = any(digital_records.covers(r, year) for r in records)
    bank = digital_items.get()
    basic = digital_frameworks.get(digital_frameworks.BASIC_FRAMEWORK)
    return render_template("pages/citizen/digital.html", records=records, holds=holds, year=year,
                           area_names={a.code: a.name.get(locale()) or a.name["vi"] for a in basic.areas},
                           open_attempt=digital_attempts.open_attempt(s, actor),
                           form_size=bank.form_size,
                           limit_reached=request.args.get("limit") and message(
                               "attempt_limit", limit=bank.form.max_attempts, days=bank.form.attempt_period_days))


@bp.post("/digital/test")
@require_role(Role.CITIZEN)
def start_digital_test(actor: Actor) -> object:
    """Start the test, or continue the open attempt (a second click, another tab)."""
    s = db()
    try:
        attempt, _resumed = digital_attempts.start(s, actor)
    except digital_attempts.AttemptLimit:
        s.rollback()
        return redirect(url_for(".digital", limit=1))
    s.commit()
    return redirect(url_for(".digital_test", attempt_id=attempt.id))


def _parts(attempt_item_ids: list[str], bank: Any) -> list[tuple[str, list[str]]]:
    """The form cut in parts, one per area, in the order drawn."""
    parts: dict[str, list[str]] = {}
    for item_id in attempt_item_ids:
        parts.setdefault(bank.items[item_id].area, []).append(item_id)
    return list(parts.items())


@bp.route("/digital/test/<attempt_id>", methods=["GET", "POST"])
@require_role(Role.CITIZEN)
def digital_test(actor: Actor, attempt_id: str) -> object:
    """One part (area) of the test at a time; each step saves its answers; the last one submits."""
    s = db()
    attempt = digital_attempts.own_attempt(s, actor, attempt_id)
    if attempt.submitted_at is not None:
        return redirect(url_for(".digital_result", attempt_id=attempt.id))
    bank = digital_items.get(attempt.bank_id)
    parts = _parts(attempt.item_ids, bank)
    part = parse_int(request.values.get("part", "1"), 1, len(parts)) or 1
    codes: dict[str, str] = {}
    if request.method == "POST":
        here = parts[part - 1][1]
        given = {item_id: int(raw) for item_id in here if (raw := request.form.get(f"q-{item_id}", "")).isdigit()}
        action = request.form.get("action", "next")
        try:
            digital_attempts.save(s, actor, attempt.id, given)
            s.commit()
            missing_here = [i for i in here if i not in given]
            if action != "back" and missing_here:
                codes = {f"q-{i}": "answer_missing" for i in missing_here}
            elif action == "submit":
                unanswered = next((n for n, (_area, ids) in enumerate(parts, 1)
                                   if any(i not in attempt.answers for i in ids)), None)
                if unanswered is not None:  # a part skipped by going back and forth: answer it first
                    return redirect(url_for(".digital_test", attempt_id=attempt.id, part=unanswered))
                digital_attempts.submit(s, actor, attempt.id, {})
                commit(s)
                return redirect(url_for(".digital_result", attempt_id=attempt.id))
            else:
                step = max(1, min(part + (1 if action == "next" else -1), len(parts)))
                return redirect(url_for(".digital_test", attempt_id=attempt.id, part=step))
        except Conflict:
            s.rollback()
            return redirect(url_for(".digital"))
    area_code, ids = parts[part - 1]
    framework = digital_frameworks.get(attempt.framework_id)
    offset = sum(len(p[1]) for p in parts[:part - 1])
    errors = {k: message(v) for k, v in codes.items()}
    names = framework.area(area_code).name
    return render_template("pages/citizen/digital_test.html", attempt=attempt, part=part, parts=len(parts),
                           area_name=names.get(locale()) or names["vi"],
                           questions=[bank.items[i] for i in ids], answers=attempt.answers, offset=offset,
                           errors=errors), 422 if errors else 200


@bp.get("/digital/test/<attempt_id>/result")
@require_role(Role.CITIZEN)
def digital_result(actor: Actor, attempt_id: str) -> object:
    """The score by part, what to learn next, and each question with its answer (only once submitted)."""
    s = db()
    attempt = digital_attempts.own_attempt(s, actor, attempt_id)
    if attempt.submitted_at is None:
        return redirect(url_for(".digital_test", attempt_id=attempt.id))
    bank = digital_items.get(attempt.bank_id)
    framework = digital_frameworks.get(attempt.framework_id)
    review = [{"text": bank.items[i].text, "choices": bank.items[i].choices, "answer": bank.items[i].answer,
               "given": attempt.answers.get(i), "explanation": bank.items[i].explanation} for i in attempt.item_ids]
    return render_template("pages/citizen/digital_result.html", attempt=attempt, framework=framework,
                           rule=framework.basic, review=review,
                           advice=digital_attempts.advice(framework, attempt.by_area))


@bp.route("/digital/certificates/new", methods=["GET", "POST"])
@require_role(Role.CITIZEN)
def send_certificate(actor: Actor) -> object:
    """Send the certificate of a digital-skills course (PDF, JPG or PNG): the ward's reviewer verifies it."""
    s = db()
    form = request.form
    codes: dict[str, str] = {}
    if request.method == "POST":
        if not take_token("certificate", form.get("once", "")):
            return redirect(url_for(".digital"))  # already sent by the first click
        data: dict[str, Any] = {k: form.get(k, "") for k in ("course", "issuer")}
        data["achieved_on"], date_problem = date_from_parts(form, "achieved_on")
        evidence = None
        try:
            evidence = checked_evidence(request.files.get("evidence"), digital_folder(actor.citizen_id or "-"))
        except Invalid as exc:
            codes.update(exc.fields)
        try:
            verification.submit_certificate(s, actor, parse(CertificateInput, data),
                                            evidence[0].key if evidence else None)
        except Invalid as exc:
            codes = {**exc.fields, **codes}
        except IntegrityError:  # a second click raced the first past the checks: the first one sent it
            s.rollback()
            return redirect(url_for(".digital"))
        if date_problem:
            codes["achieved_on"] = date_problem
        if evidence is None:
            codes.setdefault("evidence", "file_required")
        if not codes:
            if evidence:
                save_evidence(*evidence)
            commit(s)
            flash(gettext("Your certificate is sent. The ward or commune will check it and you will see the result "
                          "here."))
            return redirect(url_for(".digital"))
        s.rollback()
    values: dict[str, Any] = {k: form.get(k, "") for k in ("course", "issuer")}
    values["achieved_on"] = {p: form.get(f"achieved_on-{p}", "") for p in ("day", "month", "year")}
    errors = error_messages(codes, CERTIFICATE_ORDER, CERTIFICATE_IDS)
    return render_template("pages/citizen/digital_certificate.html", values=values, errors=errors,
                           labels=CERTIFICATE_LABELS, once=form_token("certificate")), 422 if errors else 200


@bp.get("/digital/records/<attainment_id>/file")
@require_role(Role.CITIZEN)
def digital_file(actor: Actor, attainment_id: str) -> object:
    """Download the certificate file one sent."""
    return attainment_evidence_response(db(), actor, attainment_id)


@bp.route("/digital/self-assessment", methods=["GET", "POST"])
@require_role(Role.CITIZEN)
def self_assess(actor: Actor) -> object:
    """Rate yourself in each area of the basic framework: kept for you, never counted towards the target."""
    s = db()
    framework = digital_frameworks.get(digital_frameworks.BASIC_FRAMEWORK)
    codes: dict[str, str] = {}
    if request.method == "POST":
        raw = {a.code: request.form.get(f"area-{a.code}", "") for a in framework.areas}
        try:
            digital_records.record_self_assessment(
                s, actor, parse(DigitalSelfAssessmentInput, {"areas": {k: v for k, v in raw.items() if v != ""}}))
            commit(s)
            flash(gettext("Your self-assessment is saved. It helps you see what to learn; it does not count towards "
                          "the target: to be counted, take the basic test."))
            return redirect(url_for(".digital"))
        except Invalid as exc:
            s.rollback()
            codes = {key.removeprefix("areas."): code for key, code in exc.fields.items()}
        values = raw
    else:
        latest = digital_records.latest_self_assessment(s, actor.citizen_id or "")
        values = {k: str(v) for k, v in (latest.areas if latest else {}).items()}
    order = [a.code for a in framework.areas]
    errors = error_messages(codes, order, {code: f"area-{code}" for code in order})
    names = {a.code: a.name.get(locale()) or a.name["vi"] for a in framework.areas}
    return render_template("pages/citizen/digital_self_assessment.html", framework=framework, names=names,
                           values=values, errors=errors, bands=LEVEL_BANDS,
                           labels={f"area-{code}": names[code] for code in order}), 422 if errors else 200
