"""A citizen's rights over their personal data (ADR 41), page by page: the citizen's "My data" page (the profile and
consents, the download, requests to correct or delete and their answers); the ward staff's list of open requests
and the answer to one; the city administrator's count of open and overdue requests."""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlmodel import col, select

from workflows import consent, privacy
from workflows.actors import Actor
from workflows.cccd import mask
from workflows.errors import Conflict, Invalid
from workflows.models import Citizen, ConsentRecord, Ward
from workflows.vocabulary import PrivacyRequestKind, Role

from ..database import db
from ..dispatch import commit
from ..downloads import personal_data_response
from .access import require_role
from .admin import bp as admin_bp
from .citizen import bp as citizen_bp
from .formats import error_messages
from .reviewer import STAFF
from .reviewer import bp as reviewer_bp

FIELDS = {"full_name": _l("Full name"), "date_of_birth": _l("Date of birth"), "sex": _l("Sex"),
          "ward_code": _l("Ward or commune"), "hamlet": _l("Residential group or village"),
          "target_group": _l("Target group"), "email": _l("E-mail"), "phone": _l("Phone number"),
          "cccd": _l("Personal identification number (CCCD number)"), "other": _l("Something else")}
REQUEST_ORDER = ("kind", "field", "text")
REQUEST_IDS = {"kind": "kind-correction"}
REQUEST_LABELS = {"kind-correction": _l("What you ask"), "field": _l("Which detail is wrong"),
                  "text": _l("Your request")}
CLOSE_ORDER = ("outcome", "text")
CLOSE_IDS = {"outcome": "outcome-done"}
CLOSE_LABELS = {"outcome-done": _l("Answer"), "text": _l("What was done, or why it is refused")}
NO_STORE = {"Cache-Control": "no-store"}


# --- the citizen ---------------------------------------------------------------------------------------------------

@citizen_bp.route("/account", methods=["GET", "POST"])
@require_role(Role.CITIZEN)
def account(actor: Actor) -> object:
    """Dữ liệu của tôi: what the system holds (profile, consents), the download, and requests with their answers."""
    s = db()
    codes: dict[str, str] = {}
    values = {k: request.form.get(k, "") for k in REQUEST_ORDER}
    if request.method == "POST":
        try:
            privacy.file_request(s, actor, values)
        except Invalid as exc:
            codes = dict(exc.fields)
            s.rollback()
        else:
            commit(s)
            flash(gettext("Your request is sent. Your ward or commune answers it within 2 working days."))
            return redirect(url_for("citizen.account"))
    citizen = s.get(Citizen, actor.citizen_id) if actor.citizen_id else None
    ward = s.get(Ward, citizen.ward_code) if citizen else None
    consents = s.exec(select(ConsentRecord).where(ConsentRecord.citizen_id == actor.citizen_id)
                      .order_by(col(ConsentRecord.given_at), col(ConsentRecord.purpose))).all()
    errors = error_messages(codes, REQUEST_ORDER, REQUEST_IDS)
    return render_template("pages/citizen/account.html", citizen=citizen, ward=ward,
                           masked=mask(citizen.cccd) if citizen else "", consents=consents,
                           requests=privacy.my_requests(s, actor), fields=FIELDS, values=values, errors=errors,
                           labels=REQUEST_LABELS, purposes=consent.PURPOSES), \
        (422 if errors else 200), NO_STORE


@citizen_bp.get("/account/data.json")
@require_role(Role.CITIZEN)
def my_data(actor: Actor) -> object:
    """Everything the system holds about the citizen, as one JSON file (the export is audited)."""
    return personal_data_response(actor)


# --- the ward's staff ----------------------------------------------------------------------------------------------

@reviewer_bp.get("/privacy")
@require_role(*STAFF)
def privacy_requests(actor: Actor) -> object:
    """The ward's open requests about personal data, the nearest deadline first, the late ones marked."""
    return render_template("pages/reviewer/privacy_requests.html", listed=privacy.ward_requests(db(), actor),
                           fields=FIELDS), 200, NO_STORE


@reviewer_bp.route("/privacy/<request_id>", methods=["GET", "POST"])
@require_role(*STAFF)
def privacy_request(actor: Actor, request_id: str) -> object:
    """One request of the ward: what the citizen asked, and the answer (a deletion done erases the profile)."""
    s = db()
    found, citizen = privacy.ward_request(s, actor, request_id)
    can_erase = found.kind == PrivacyRequestKind.DELETION and privacy.erasable(s, citizen.id)
    values: dict[str, Any] = {"outcome": request.form.get("outcome", ""), "text": request.form.get("text", "")}
    if found.kind == PrivacyRequestKind.DELETION and not can_erase and request.method == "GET":
        values = {"outcome": "refused", "text": privacy.LEGAL_GROUND}
    codes: dict[str, str] = {}
    if request.method == "POST":
        try:
            privacy.close_request(s, actor, request_id, values)
        except (Invalid, Conflict) as exc:
            codes = dict(exc.fields) or {"outcome": exc.code}
            s.rollback()
            found, citizen = privacy.ward_request(s, actor, request_id)
        else:
            commit(s)
            flash(gettext("The answer is recorded; the citizen is told."))
            return redirect(url_for("reviewer.privacy_requests"))
    errors = error_messages(codes, CLOSE_ORDER, CLOSE_IDS)
    return render_template("pages/reviewer/privacy_request.html", found=found, citizen=citizen,
                           masked=mask(citizen.cccd), can_erase=can_erase, fields=FIELDS, values=values,
                           errors=errors, labels=CLOSE_LABELS), (422 if errors else 200), NO_STORE


# --- the city ------------------------------------------------------------------------------------------------------

@admin_bp.get("/privacy")
@require_role(Role.CITY_ADMIN)
def privacy_counts(actor: Actor) -> object:
    """The city's open requests about personal data and how many are past their deadline."""
    waiting, overdue = privacy.city_counts(db())
    return render_template("pages/admin/privacy.html", waiting=waiting, overdue=overdue)
