"""A signed-in person changes their password: the current one, then the new one twice. Every other device and API
token is signed out; this browser stays signed in (the session is signed in again with the new session version)."""

from flask import flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_user

from workflows import accounts
from workflows.actors import Actor
from workflows.errors import Invalid
from workflows.models import User
from workflows.vocabulary import Role

from ..auth import SessionUser
from ..database import db
from ..dispatch import commit
from ..extensions import limiter
from ..runtime import runtime
from .access import require_role
from .account import bp
from .formats import error_messages
from .public import home_for

FIELDS = ("current_password", "password", "password_again")


def _signed_in_user() -> str:
    from flask_login import current_user

    return f"password-change:{current_user.user.id}" if current_user.is_authenticated else request.remote_addr or "-"


@bp.route("/account/password", methods=["GET", "POST"])
@require_role()
@limiter.limit(lambda: runtime().settings.login_account_limit, methods=["POST"], key_func=_signed_in_user,
               deduct_when=lambda response: response.status_code == 422)
def change_password(actor: Actor) -> ResponseReturnValue:
    """Đổi mật khẩu: for every signed-in role."""
    codes: dict[str, str] = {}
    if request.method == "POST":
        current, new = request.form.get("current_password", ""), request.form.get("password", "")
        if new != request.form.get("password_again", ""):
            codes["password_again"] = "passwords_differ"
        else:
            session = db()
            try:
                user: User = accounts.change_password(session, str(actor.user_id), current, new)
                commit(session)
                login_user(SessionUser(user, actor.citizen_id))  # this browser stays signed in, at the new version
                flash(gettext("Your password is changed. Every other device and API token is signed out."))
                return redirect(home_for(Role(user.role)))
            except Invalid as exc:
                session.rollback()
                codes = dict(exc.fields)
    errors = error_messages(codes, FIELDS)
    return render_template("pages/account/password.html", errors=errors), 422 if errors else 200
