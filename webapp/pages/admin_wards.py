"""The city administrator's settings of one ward: who issues its papers and how they are signed."""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from workflows import ward_settings
from workflows.actors import Actor
from workflows.errors import Invalid, NotFound
from workflows.models import Ward
from workflows.signers import SigningMode
from workflows.vocabulary import Role

from ..database import db
from ..dispatch import commit
from .access import require_role
from .admin import bp
from .formats import error_messages

FIELDS = ("issuer_name", "signing_mode", "signer_title")
IDS = {"signing_mode": "signing_mode-tm"}


@bp.route("/wards/<code>/papers", methods=["GET", "POST"])
@require_role(Role.CITY_ADMIN)
def ward_papers(actor: Actor, code: str) -> object:
    """The form, with the heading and signature block the ward's next papers will print."""
    s = db()
    ward = s.get(Ward, code)
    if ward is None:
        raise NotFound()
    codes: dict[str, str] = {}
    params: dict[str, Any] = {}
    papers = ward_settings.papers_of(ward)
    if request.method == "POST":
        papers = ward_settings.Papers(*(request.form.get(k, "") for k in FIELDS))
        try:
            _ward, changed = ward_settings.set_papers(s, actor, code, papers)
            commit(s)
            flash(gettext("Saved: the ward's next decisions and certificates print these lines.") if changed
                  else gettext("Nothing changed."))
            return redirect(url_for(".ward_papers", code=code))
        except Invalid as exc:
            s.rollback()
            codes, params = dict(exc.fields), exc.params
    errors = error_messages(codes, FIELDS, IDS, params)
    valid_mode = papers.signing_mode in ward_settings.MODES
    shown = ward_settings.preview(ward, papers if valid_mode and not errors else ward_settings.papers_of(ward))
    defaults = ward_settings.preview(ward, ward_settings.Papers(signing_mode=papers.signing_mode if valid_mode
                                                                else SigningMode.ON_BEHALF.value))
    labels = {"issuer_name": gettext("Issuing body's line"), "signing_mode-tm": gettext("Who signs"),
              "signer_title": gettext("Signer's title")}
    return render_template("pages/admin/ward_papers.html", ward=ward, values=papers, errors=errors, labels=labels,
                           preview=shown, defaults=defaults, modes=list(SigningMode)), 422 if errors else 200
