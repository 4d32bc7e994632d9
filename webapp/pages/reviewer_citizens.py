"""Assisted registration (đăng ký hộ, ADR 25): a ward's officials register a citizen of their ward, consent signed
on paper, and hand them a one-time activation code; import a CSV file of citizens (dry run first); give a citizen
who lost their code a new one."""

from typing import Any

from flask import render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from workflows import assisted, reclaim
from workflows.actors import Actor
from workflows.cccd import mask
from workflows.errors import Conflict, Invalid
from workflows.models import Ward

from ..database import db
from ..dispatch import commit
from ..i18n import target_group_names
from ..uploads import flag, read_file
from .access import require_role
from .formats import date_from_parts, error_messages, file_errors, hamlet_choices
from .reviewer import STAFF, bp

ORDER = ("cccd", "full_name", "date_of_birth", "sex", "hamlet", "target_group", "email", "phone", "consent_paper",
         "consent_reference", "identity_checked")
IDS = {"date_of_birth": "date_of_birth-day", "sex": "sex-male", "target_group": "target_group-resident"}
LABELS = {"cccd": _l("Personal identification number (CCCD number)"), "full_name": _l("Full name"),
          "date_of_birth-day": _l("Date of birth"), "sex-male": _l("Sex"),
          "hamlet": _l("Residential group or village"), "target_group-resident": _l("Target group"),
          "email": _l("E-mail"), "phone": _l("Phone number"), "consent_paper": _l("Paper consent form"),
          "consent_reference": _l("Number of the paper form"),
          "identity_checked": _l("I have checked the person's CCCD card")}
COLUMNS = {"cccd": _l("Personal identification number (CCCD number)"), "full_name": _l("Full name"),
           "date_of_birth": _l("Date of birth"), "sex": _l("Sex"), "target_group": _l("Target group"),
           "hamlet": _l("Residential group or village"), "phone": _l("Phone number"), "email": _l("E-mail"),
           "consent_reference": _l("Number of the paper form"),
          "identity_checked": _l("I have checked the person's CCCD card")}
NO_STORE = {"Cache-Control": "no-store"}  # a page with activation codes is kept by no cache


def _ward(actor: Actor) -> Ward | None:
    return db().get(Ward, actor.ward_code) if actor.ward_code else None


@bp.route("/citizens/new", methods=["GET", "POST"])
@require_role(*STAFF)
def new_citizen(actor: Actor) -> object:
    """Register a citizen of the ward on their behalf; on success, the activation code shown once."""
    return _at_the_desk(actor, claim=False)


@bp.route("/citizens/claim", methods=["GET", "POST"])
@require_role(*STAFF)
def claim_account(actor: Actor) -> object:
    """Give the account of an identity number someone else registered to its owner, whose card the official checked
    (ADR 43); on success, the owner's activation code shown once."""
    return _at_the_desk(actor, claim=True)


def _at_the_desk(actor: Actor, claim: bool) -> object:
    """The form of a person at the desk: registered on their behalf, or (`claim`) given back their account."""
    s = db()
    form = request.form
    fields = ("cccd", "full_name", "sex", "hamlet", "target_group", "email", "phone", "consent_paper",
              "consent_reference", "identity_checked")
    values: dict[str, Any] = {k: form.get(k, "") for k in fields}
    values["dob"] = {p: form.get(f"date_of_birth-{p}", "") for p in ("day", "month", "year")}
    codes: dict[str, str] = {}
    if request.method == "POST":
        data: dict[str, Any] = {k: form.get(k, "") for k in fields}
        data["date_of_birth"], date_error = date_from_parts(form, "date_of_birth")
        try:
            done = reclaim.claim(s, actor, data) if claim else assisted.register(s, actor, data)
        except (Invalid, Conflict) as exc:
            codes = dict(exc.fields) or {"cccd": exc.code}
        if date_error:
            codes["date_of_birth"] = date_error
        if not codes:
            commit(s)
            return render_template("pages/reviewer/citizen_registered.html", citizen=done.citizen, code=done.code,
                                   masked=mask(done.citizen.cccd), ward=_ward(actor), claimed=claim), 200, NO_STORE
        s.rollback()
    errors = error_messages(codes, ORDER, IDS)
    return render_template("pages/reviewer/citizen_new.html", values=values, errors=errors, labels=LABELS,
                           ward=_ward(actor), hamlet_choices=hamlet_choices(s, actor.ward_code or ""), claim=claim), \
        422 if errors else 200


@bp.route("/citizens/code", methods=["GET", "POST"])
@require_role(*STAFF)
def new_code(actor: Actor) -> object:
    """A new activation code for a citizen of the ward who lost theirs or let it expire."""
    s = db()
    codes: dict[str, str] = {}
    cccd = "".join(request.form.get("cccd", "").split())
    if request.method == "POST":
        try:
            done = assisted.reissue(s, actor, cccd, identity_checked=request.form.get("identity_checked") == "yes")
            commit(s)
            return render_template("pages/reviewer/citizen_registered.html", citizen=done.citizen, code=done.code,
                                   masked=mask(done.citizen.cccd), ward=_ward(actor), reissued=True), 200, NO_STORE
        except (Invalid, Conflict) as exc:
            s.rollback()
            codes = dict(exc.fields) or {"cccd": exc.code}
    errors = error_messages(codes, ("cccd",))
    return render_template("pages/reviewer/citizen_code.html", errors=errors, cccd=cccd,
                           labels={"cccd": LABELS["cccd"]}), 422 if errors else 200


@bp.route("/citizens/import", methods=["GET", "POST"])
@require_role(*STAFF)
def import_citizens(actor: Actor) -> object:
    """Import a CSV file of the ward's citizens: a dry run shows the counts and the rows with mistakes; the import
    itself lists each new citizen's activation code, once."""
    s = db()
    codes: dict[str, str] = {}
    params: dict[str, Any] = {}
    report = None
    dry_run = flag("dry_run") or request.method == "GET"
    if request.method == "POST":
        try:
            data, name = read_file()
            rows = assisted.parse(data, target_group_names())
            report = assisted.import_citizens(s, actor, actor.ward_code or "", rows, file_name=name, dry_run=dry_run)
            if dry_run:
                s.rollback()
            else:
                commit(s)
        except Invalid as exc:
            s.rollback()
            codes, params = dict(exc.fields), dict(exc.params)
    errors, bad_rows, more_errors = file_errors(codes, params, ("file",), COLUMNS)
    headers = NO_STORE if report is not None and report.codes else {}
    return render_template(
        "pages/reviewer/citizen_import.html", errors=errors, bad_rows=bad_rows, more_errors=more_errors,
        report=report, labels={"file": gettext("CSV file")}, dry_run=dry_run, ward=_ward(actor),
        header=",".join(assisted.HEADER)), 422 if errors else 200, headers
