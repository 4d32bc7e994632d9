"""The city administrator's staff accounts: list by ward and role, create (an activation code to hand over), disable
or enable. Routes on the admin blueprint."""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlmodel import col, select

from workflows import staff, two_factor
from workflows.actors import Actor
from workflows.errors import Conflict, Invalid
from workflows.models import User, Ward
from workflows.vocabulary import Role

from ..database import db
from ..dispatch import commit
from ..i18n import message
from .access import require_role
from .admin import bp
from .formats import error_messages

ORDER = ("username", "display_name", "role", "ward", "cccd")
LABELS = {"username": _l("Username"), "display_name": _l("Full name"), "role-ward_reviewer": _l("Role"),
          "ward": _l("Ward or commune"), "cccd": _l("Personal identification number (CCCD number)")}
NO_STORE = {"Cache-Control": "no-store"}


def _wards() -> list[Ward]:
    return list(db().exec(select(Ward).where(col(Ward.active).is_(True)).order_by(col(Ward.name))))


@bp.get("/staff")
@require_role(Role.CITY_ADMIN)
def staff_list(actor: Actor) -> object:
    """Staff accounts, narrowed by ward or role."""
    ward, role = request.args.get("ward", ""), request.args.get("role", "")
    users = staff.listing(db(), actor, ward_code=ward or None, role=role or None)
    return render_template("pages/admin/staff.html", users=users, ward=ward, role=role, wards=_wards(),
                           roles=staff.STAFF_ROLES, limit=staff.LISTED, me=actor.user_id)


@bp.route("/staff/new", methods=["GET", "POST"])
@require_role(Role.CITY_ADMIN)
def staff_new(actor: Actor) -> object:
    """A new staff account; its holder chooses a password at /activate with the code shown once here."""
    form = request.form
    values: dict[str, Any] = {k: form.get(k, "").strip() for k in ORDER}
    codes: dict[str, str] = {}
    if request.method == "POST":
        s = db()
        try:
            made = staff.create(s, actor, username=values["username"], display_name=values["display_name"],
                                role=values["role"], ward_code=values["ward"] or None, cccd=values["cccd"] or None)
            commit(s)
            return render_template("pages/admin/staff_created.html", user=made.user, code=made.code), 200, NO_STORE
        except (Invalid, Conflict) as exc:
            s.rollback()
            codes = dict(exc.fields) or {"username": exc.code}
    errors = error_messages(codes, ORDER, {"role": "role-ward_reviewer"})
    return render_template("pages/admin/staff_new.html", values=values, errors=errors, labels=LABELS,
                           wards=_wards(), roles=staff.STAFF_ROLES), 422 if errors else 200


@bp.post("/staff/<user_id>/active")
@require_role(Role.CITY_ADMIN)
def staff_active(actor: Actor, user_id: str) -> object:
    """Disable or enable a staff account."""
    s = db()
    wanted = request.form.get("active") == "yes"
    try:
        user: User = staff.set_active(s, actor, user_id, wanted)
        commit(s)
        flash(gettext("%(name)s can sign in again.", name=user.display_name) if wanted else
              gettext("%(name)s is signed out everywhere and can no longer sign in.", name=user.display_name))
    except Invalid as exc:
        s.rollback()
        flash(message(next(iter(exc.fields.values()), exc.code)))
    return _back_to_list()


def _back_to_list() -> object:
    return redirect(url_for(".staff_list", ward=request.args.get("ward", ""), role=request.args.get("role", "")))


@bp.post("/staff/<user_id>/two-factor/reset")
@require_role(Role.CITY_ADMIN)
def staff_reset_two_factor(actor: Actor, user_id: str) -> object:
    """Reset a staff member's two-step sign-in (a lost phone and no recovery code left), once they were seen in person
    with their identity card: signed out everywhere, they set it up again at their next sign-in (ADR 39)."""
    s = db()
    user: User = two_factor.reset(s, actor, user_id)
    commit(s)
    flash(gettext("Two-step sign-in of %(name)s is reset: they are signed out and set it up again at their next "
                  "sign-in.", name=user.display_name))
    return _back_to_list()
