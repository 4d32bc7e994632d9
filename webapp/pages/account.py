"""Two-step sign-in for staff (ADR 39): the code asked after the password, the staff member's own enrolment page,
and the rule that a staff member who must enrol does nothing else first (STAFF_TOTP_REQUIRED)."""

import base64
from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from certificates.qr import qr_png
from workflows import clock, two_factor
from workflows.actors import Actor
from workflows.errors import Invalid
from workflows.models import User
from workflows.staff import STAFF_ROLES
from workflows.vocabulary import Role

from ..auth import SessionUser
from ..database import db
from ..dispatch import commit
from ..extensions import ACCOUNT_SCOPE, limiter, pending_account_key, refused_sign_in
from ..i18n import message
from ..runtime import runtime
from .access import require_role
from .formats import error_messages

bp = Blueprint("account", __name__)

PENDING = "pending_sign_in"  # the cookie session's entry between the password and the code
NO_STORE = {"Cache-Control": "no-store"}
# What a staff member who must enrol may still open: the enrolment itself, signing out, the language, the health
# checks, the help pages and the static files.
OPEN_WHILE_ENROLLING = frozenset({"account.two_factor_page", "public.logout", "public.language", "public.info",
                                  "health.healthz", "health.readyz", "static"})


def begin_second_step(user: User, limit_key: str) -> ResponseReturnValue:
    """After a right password for an account with two-step sign-in: no session yet, only a short-lived note of whom
    the code is for (bound to the account and its session version), and the page that asks for it."""
    session[PENDING] = {"user": user.id, "version": user.session_version, "since": clock.now().isoformat(),
                        "key": limit_key}
    return redirect(url_for("account.second_step"))


def _home(role: str) -> str:
    from .public import home_for

    return home_for(Role(role))


def _pending() -> User | None:
    note = session.get(PENDING)
    if not isinstance(note, dict):
        return None
    try:
        since = datetime.fromisoformat(str(note["since"])).astimezone(UTC)
        return two_factor.pending_user(db(), str(note["user"]), int(note["version"]), since)
    except (KeyError, TypeError, ValueError):
        return None


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.shared_limit(lambda: runtime().settings.login_account_limit, ACCOUNT_SCOPE, methods=["POST"],
                      key_func=pending_account_key, deduct_when=refused_sign_in)
def second_step() -> ResponseReturnValue:
    """The 6-digit code from the authenticator app, or a recovery code; only then the session starts."""
    user = _pending()
    if user is None:
        session.pop(PENDING, None)
        if current_user.is_authenticated:
            return redirect(_home(current_user.user.role))
        return render_template("pages/login.html", error=message("sign_in_expired"), username=""), 401
    error = None
    if request.method == "POST":
        s = db()
        done = two_factor.second_step(s, user, runtime().settings.totp_sealing_key, request.form.get("code", ""))
        commit(s)  # the sign-in is audited, a refusal too
        if done:
            session.pop(PENDING, None)
            login_user(SessionUser(user))
            return redirect(_home(user.role))
        error = message("otp_invalid")
    return render_template("pages/login_code.html", error=error), 401 if error else 200, NO_STORE


@bp.route("/account/two-factor", methods=["GET", "POST"])
@require_role(*STAFF_ROLES)
def two_factor_page(actor: Actor) -> ResponseReturnValue:
    """Turn on two-step sign-in: the key as a QR code and in groups, confirmed with a code from the app; then the ten
    recovery codes, shown once. Once on: how many recovery codes are left, and turning it off where allowed."""
    s = db()
    user = s.get(User, actor.user_id)
    assert user is not None
    key, required = runtime().settings.totp_sealing_key, runtime().settings.staff_totp_required
    if two_factor.enrolled(user):
        return render_template("pages/account/two_factor_on.html", user=user, required=required,
                               left=two_factor.recovery_codes_left(s, user), errors={}), 200, NO_STORE
    codes: dict[str, str] = {}
    if request.method == "POST" and request.form.get("step") == "start":
        two_factor.start(s, user, key)  # a new key (a lost or mistyped one replaced too)
        commit(s)
        return redirect(url_for(".two_factor_page"))
    if request.method == "POST":
        try:
            recovery = two_factor.confirm(s, user, key, request.form.get("code", ""))
            commit(s)
            login_user(SessionUser(user))  # the other sessions ended; this one goes on under the new version
            return render_template("pages/account/two_factor_codes.html", codes=recovery), 200, NO_STORE
        except Invalid as exc:
            s.rollback()
            codes = dict(exc.fields)
            user = s.get(User, actor.user_id)
            assert user is not None
    setup = two_factor.setup_of(user, key)
    qr = base64.b64encode(qr_png(setup.uri)).decode() if setup else None
    return render_template("pages/account/two_factor_setup.html", setup=setup, qr=qr, required=required,
                           must=two_factor.must_enrol(user, required),
                           errors=error_messages(codes, ("code",))), 422 if codes else 200, NO_STORE


def _signed_in_key() -> str:
    return f"account-user:{current_user.user.id}" if current_user.is_authenticated else "account-user:none"


@bp.post("/account/two-factor/off")
@limiter.limit(lambda: runtime().settings.login_account_limit, key_func=_signed_in_key,
               deduct_when=lambda response: response.status_code == 422)  # wrong codes, as at sign-in
@require_role(*STAFF_ROLES)
def two_factor_off(actor: Actor) -> ResponseReturnValue:
    """Turn two-step sign-in off with a current code, where the city does not require it; signed out everywhere."""
    s = db()
    user = s.get(User, actor.user_id)
    assert user is not None
    settings = runtime().settings
    try:
        two_factor.disable(s, user, settings.totp_sealing_key, request.form.get("code", ""),
                           required=settings.staff_totp_required)
        commit(s)
    except Invalid as exc:
        commit(s)  # a wrong code is audited as a refused sign-in
        errors = error_messages(exc.fields, ("code",))
        return render_template("pages/account/two_factor_on.html", user=user, errors=errors,
                               required=settings.staff_totp_required,
                               left=two_factor.recovery_codes_left(s, user)), 422, NO_STORE
    logout_user()  # every session of the account ended with it, this one too
    flash(gettext("Two-step sign-in is off. Sign in again with your password."))
    return redirect(url_for("public.login"))


@bp.before_app_request
def _enrol_first() -> ResponseReturnValue | None:
    """With STAFF_TOTP_REQUIRED, a signed-in staff member without two-step sign-in sees only the enrolment page."""
    if not runtime().settings.staff_totp_required or request.endpoint in OPEN_WHILE_ENROLLING:
        return None
    if request.path.startswith("/api/") or not current_user.is_authenticated:
        return None
    if two_factor.must_enrol(current_user.user, True):
        return redirect(url_for("account.two_factor_page"))
    return None
