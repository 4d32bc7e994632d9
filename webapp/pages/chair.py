"""The ward chair's pages: choose approved applications, check before signing, record, watch issuance."""

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from certificates import new_code
from workflows import batches, campaigns, decision_documents, decisions, issuance, reissue
from workflows.actors import Actor
from workflows.clock import today
from workflows.errors import Conflict, Invalid
from workflows.inputs import DecisionInput, ReissueInput, RevocationInput, parse
from workflows.validation import parse_int
from workflows.vocabulary import CertificateStatus, Role

from ..database import db
from ..dispatch import commit
from ..downloads import batch_download, decision_pdf_response
from ..i18n import message
from ..runtime import runtime
from . import formats
from .access import require_role
from .formats import date_from_parts, date_parts, error_messages

bp = Blueprint("chair", __name__, url_prefix="/chair")
formats.register_filters(bp)

ORDER = ("application_ids", "number", "signed_on", "signer_name", "year")
LABELS = {"number": _l("Decision number"), "signed_on-day": _l("Date signed"), "signer_name": _l("Signer")}
IDS = {"application_ids": "applications", "signed_on": "signed_on-day", "year": "year"}


def _year(raw: str | None) -> int:
    return parse_int(raw, 2024, 2100) or today().year


def _data(form: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The decision as record_decision reads it, and the errors found while joining the date fields."""
    signed_on, problem = date_from_parts(form, "signed_on")
    data = {"year": form.get("year", ""), "number": form.get("number", ""), "signed_on": signed_on,
            "signer_name": form.get("signer_name", ""), "application_ids": form.getlist("application_ids")}
    return data, ({"signed_on": problem} if problem else {})


def _form(actor: Actor, year: int, form: MultiDict[str, str] | None, codes: dict[str, str],
          params: Mapping[str, object] | None = None) -> tuple[str, int]:
    """The decision form; params are the error's (e.g. the year a number is already used in)."""
    rows = decisions.approved_in_ward(db(), actor, year)
    if codes.get("application_ids") == "required":
        codes = {**codes, "application_ids": "no_selection"}
    chosen = set(form.getlist("application_ids")) if form else {a.id for a, _ in rows}
    values = {"number": form.get("number", "") if form else "", "signer_name": form.get("signer_name", "") if form
              else "", "signed_on": ({p: form.get(f"signed_on-{p}", "") for p in ("day", "month", "year")} if form
                                     else date_parts(today()))}
    ids = IDS | {k: f"app-{k.split('.', 1)[1]}" for k in codes if k.startswith("application_ids.")}
    errors = error_messages(codes, ORDER, ids, params)
    return render_template("pages/chair/home.html", rows=rows, year=year, chosen=chosen, values=values,
                           errors=errors, labels=LABELS,
                           deadlines=campaigns.for_staff(db(), actor.ward_code) if actor.ward_code else None
                           ), 422 if errors else 200


@bp.get("/")
@require_role(Role.WARD_CHAIR)
def home(actor: Actor) -> object:
    """Approved applications of the ward for a year, all ticked, and the decision's details."""
    return _form(actor, _year(request.args.get("year")), None, {})


@bp.post("/decisions/check")
@require_role(Role.WARD_CHAIR)
def check(actor: Actor) -> object:
    """Check before signing: the same rules as recording, tried and rolled back."""
    s = db()
    data, codes = _data(request.form)
    params: dict[str, object] = {}
    try:
        decisions.record_decision(s, actor, parse(DecisionInput, data), new_code=new_code,
                                  verify_url=runtime().verify_url)
    except (Invalid, Conflict) as exc:
        codes = {**(dict(exc.fields) or {"application_ids": exc.code}), **codes}
        params = dict(exc.params)
    finally:
        s.rollback()  # a rehearsal: nothing is recorded until the chair confirms
    if codes:
        return _form(actor, _year(data["year"]), request.form, codes, params)
    rows = [(a, c) for a, c in decisions.approved_in_ward(s, actor, int(data["year"]))
            if a.id in set(data["application_ids"])]
    return render_template("pages/chair/check.html", data=data, rows=rows)


@bp.post("/decisions")
@require_role(Role.WARD_CHAIR)
def record(actor: Actor) -> object:
    """Record the decision; its certificates are rendered after the commit."""
    s = db()
    data, codes = _data(request.form)
    if codes:
        return _form(actor, _year(data["year"]), request.form, codes)
    try:
        decision, _certs = decisions.record_decision(s, actor, parse(DecisionInput, data), new_code=new_code,
                                                     verify_url=runtime().verify_url)
    except (Invalid, Conflict) as exc:  # e.g. the confirm button pressed twice: the number is already used
        s.rollback()
        return _form(actor, _year(data["year"]), request.form, dict(exc.fields) or {"application_ids": exc.code},
                     exc.params)
    commit(s)  # the certificates' renders are sent after this commit
    return redirect(url_for(".decision", decision_id=decision.id))


@bp.get("/decisions")
@require_role(Role.WARD_CHAIR)
def decision_list(actor: Actor) -> object:
    """The ward's decisions recognising a year, newest first, with their certificates issued."""
    year = _year(request.args.get("year"))
    return render_template("pages/chair/decisions.html", rows=decisions.ward_decisions(db(), actor, year),
                           year=year, years=range(today().year, 2023, -1))


@bp.get("/decisions/<decision_id>")
@require_role(Role.WARD_CHAIR)
def decision(actor: Actor, decision_id: str) -> object:
    """Issuance progress (a native progress bar that a small script keeps current; a refresh link without it), the
    decision's document and batch downloads, and the people it recognises."""
    s = db()
    found, progress = decisions.decision_progress(s, actor, decision_id)
    after = request.args.get("after") or None
    people, next_after = decisions.recipients(s, actor, decision_id, after=after)
    return render_template("pages/chair/decision.html", decision=found, progress=progress,
                           batch=batches.listing(s, actor, decision_id).batch if progress["issued"] else None,
                           people=people, next_after=next_after, after=after)


@bp.get("/decisions/<decision_id>/progress")
@require_role(Role.WARD_CHAIR)
def decision_progress(actor: Actor, decision_id: str) -> object:
    """The issuance progress as JSON, for the decision page's script."""
    _found, progress = decisions.decision_progress(db(), actor, decision_id)
    text = gettext("Issued %(issued)s/%(total)s", issued=formats.vn_number(progress["issued"]),
                   total=formats.vn_number(progress["total"]))
    return jsonify({**progress, "text": text})


@bp.post("/decisions/<decision_id>/batch")
@require_role(Role.WARD_CHAIR)
def prepare_batch(actor: Actor, decision_id: str) -> object:
    """Prepare (or try again to prepare) the ZIP and the PDF for printing of the decision's issued certificates."""
    s = db()
    try:
        batches.request(s, actor, decision_id, retry=True)
    except Conflict as exc:  # nothing issued yet
        flash(message(exc.code, None, **exc.params))
        return redirect(url_for(".decision", decision_id=decision_id))
    commit(s)  # the task is sent after this commit
    flash(gettext("The ZIP and the PDF for printing are being prepared. Refresh this page in a minute."))
    return redirect(url_for(".decision", decision_id=decision_id))


@bp.get("/decisions/<decision_id>/certificates.zip", defaults={"kind": "zip"})
@bp.get("/decisions/<decision_id>/certificates.pdf", defaults={"kind": "pdf"})
@require_role(Role.WARD_CHAIR)
def batch_file(actor: Actor, decision_id: str, kind: str) -> object:
    """The decision's ZIP or merged PDF once ready; otherwise back to the decision's page with the reason."""
    try:
        return batch_download(actor, decision_id, kind)
    except Conflict as exc:
        flash(message(exc.code, None, **exc.params))
        return redirect(url_for(".decision", decision_id=decision_id))


@bp.get("/decisions/<decision_id>/pdf")
@require_role(Role.WARD_CHAIR)
def decision_pdf(actor: Actor, decision_id: str) -> object:
    """Download the decision document with its attached list (409 while a worker prepares it)."""
    return decision_pdf_response(decision_documents.document_for(db(), actor, decision_id))


@bp.post("/decisions/<decision_id>/retry")
@require_role(Role.WARD_CHAIR)
def retry(actor: Actor, decision_id: str) -> object:
    """Thử lại: queue this decision's failed certificates again."""
    s = db()
    ids = decisions.retry_failed(s, actor, decision_id)
    commit(s)
    flash(ngettext("%(num)d certificate is queued again.", "%(num)d certificates are queued again.", len(ids)))
    return redirect(url_for(".decision", decision_id=decision_id))


# A certificate of the ward (ward chair) or of any ward (city administrator): revoke it with a reason, or correct the
# holder's name or date of birth and reissue it (ADR 28). The domain keeps another ward's certificate "not found".
REISSUE_ORDER = ("full_name", "date_of_birth", "reason", "form")
REISSUE_IDS = {"date_of_birth": "date_of_birth-day", "reason": "reissue-reason", "form": "reissue"}
REVOKE_IDS = {"reason": "revoke-reason", "form": "revoke"}
CERTIFICATE_LABELS = {"full_name": _l("Correct full name"), "date_of_birth-day": _l("Correct date of birth"),
                      "reissue-reason": _l("Reason for the correction"), "revoke-reason": _l("Reason for revocation")}


def _certificate_page(actor: Actor, code: str, *, codes: Mapping[str, str] | None = None,
                      ids: Mapping[str, str] | None = None, form: MultiDict[str, str] | None = None,
                      status: int = 200) -> tuple[str, int]:
    """The certificate, its successor if reissued, and the forms its status allows."""
    s = db()
    cert = issuance.certificate_for(s, actor, code)
    errors = error_messages(codes or {}, (*REISSUE_ORDER, "reason"), ids)
    successor = issuance.latest_successor(s, cert)
    values = {"full_name": form.get("full_name", "") if form else "",
              "date_of_birth": ({p: form.get(f"date_of_birth-{p}", "") for p in ("day", "month", "year")}
                                if form else date_parts(None)),
              "reissue-reason": form.get("reason", "") if form and ids is REISSUE_IDS else "",
              "revoke-reason": form.get("reason", "") if form and ids is REVOKE_IDS else ""}
    return render_template("pages/chair/certificate.html", cert=cert, successor=successor, errors=errors,
                           labels=CERTIFICATE_LABELS, values=values,
                           may_change=cert.status == CertificateStatus.ISSUED), status if errors else 200


@bp.get("/certificates")
@require_role(Role.WARD_CHAIR, Role.CITY_ADMIN)
def find_certificate(actor: Actor) -> object:
    """Go to a certificate by the code printed under its QR code."""
    code = "".join(request.args.get("code", "").split()).upper()
    return redirect(url_for(".certificate", code=code) if code else url_for(".home"))


@bp.get("/certificates/<code>")
@require_role(Role.WARD_CHAIR, Role.CITY_ADMIN)
def certificate(actor: Actor, code: str) -> object:
    """A certificate with its status; revoke or correct and reissue it while issued."""
    return _certificate_page(actor, code)


@bp.post("/certificates/<code>/reissue")
@require_role(Role.WARD_CHAIR, Role.CITY_ADMIN)
def reissue_certificate(actor: Actor, code: str) -> object:
    """Correct the holder's name or date of birth: a new certificate supersedes this one."""
    s = db()
    born, problem = date_from_parts(request.form, "date_of_birth")
    data = {"full_name": request.form.get("full_name", ""), "date_of_birth": born,
            "reason": request.form.get("reason", "")}
    try:
        if problem:
            raise Invalid(fields={"date_of_birth": problem})
        done = reissue.reissue(s, actor, code, parse(ReissueInput, data), new_code=new_code,
                               verify_url=runtime().verify_url)
    except (Invalid, Conflict) as exc:
        s.rollback()
        codes = dict(exc.fields) or {"form": exc.code}
        return _certificate_page(actor, code, codes=codes, ids=REISSUE_IDS, form=request.form,
                                 status=409 if isinstance(exc, Conflict) else 422)
    commit(s)  # the new certificate's render is sent after this commit
    flash(gettext("The corrected certificate %(new)s replaces %(old)s; it is being issued.", new=done.new.code,
                  old=done.old.code))
    return redirect(url_for(".certificate", code=done.new.code))


@bp.post("/certificates/<code>/revoke")
@require_role(Role.WARD_CHAIR, Role.CITY_ADMIN)
def revoke_certificate(actor: Actor, code: str) -> object:
    """Revoke the certificate with a reason, shown on its verification page."""
    s = db()
    try:
        cert = issuance.revoke(s, actor, code, parse(RevocationInput, {"reason": request.form.get("reason", "")}))
    except (Invalid, Conflict) as exc:
        s.rollback()
        return _certificate_page(actor, code, codes=dict(exc.fields) or {"form": exc.code}, ids=REVOKE_IDS,
                                 form=request.form, status=409 if isinstance(exc, Conflict) else 422)
    commit(s)
    flash(gettext("Certificate %(code)s is revoked.", code=cert.code))
    return redirect(url_for(".certificate", code=cert.code))
