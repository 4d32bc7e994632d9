"""Pages anyone can open: start, sign in and out, certificate verification."""

from flask import Blueprint, current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from workflows import accounts, activation, issuance, password_reset, two_factor
from workflows.clock import HANOI_OFFSET, now
from workflows.errors import Invalid
from workflows.vocabulary import Role, VerificationStatus

from .. import password_links
from ..auth import SessionUser, page_actor
from ..database import db
from ..dispatch import commit
from ..extensions import ACCOUNT_SCOPE, account_key, limiter, refused_sign_in
from ..i18n import message
from ..runtime import runtime
from ..security import safe_local_path
from .account import begin_second_step
from .formats import error_messages

bp = Blueprint("public", __name__)

HOME_BY_ROLE = {Role.CITIZEN: "citizen.home", Role.WARD_REVIEWER: "reviewer.queue", Role.WARD_CHAIR: "chair.home",
                Role.CENTRE_STAFF: "assessments.home", Role.CITY_ADMIN: "admin.dashboard"}


def home_for(role: Role) -> str:
    """The landing page of a role."""
    return url_for(HOME_BY_ROLE.get(role, "public.start"))


@bp.get("/")
def start() -> ResponseReturnValue:
    """What CDHT is, what you need, and the ways in."""
    actor = page_actor()
    return render_template("pages/start.html", actor=actor, home=home_for(actor.role) if actor else None)


@bp.get("/language/<code>")
def language(code: str) -> ResponseReturnValue:
    """Switch language and come back to the same page."""
    target = safe_local_path(request.args.get("next"))
    response = make_response(redirect(target))
    if code in ("vi", "en"):
        response.set_cookie(current_app.config["LANG_COOKIE"], code, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: runtime().settings.login_rate_limit, methods=["POST"])
@limiter.shared_limit(lambda: runtime().settings.login_account_limit, ACCOUNT_SCOPE, methods=["POST"],
                      key_func=account_key, deduct_when=refused_sign_in)
def login() -> ResponseReturnValue:
    """Sign in with a CCCD (citizens) or a username (staff)."""
    error = None
    username = ""
    if request.method == "POST":
        username = "".join(request.form.get("username", "").split())
        session = db()
        user = accounts.authenticate(session, username, request.form.get("password", ""))
        session.commit()  # the sign-in is audited, a refusal too
        if user is not None and two_factor.enrolled(user):
            return begin_second_step(user, account_key())  # the session starts after the code (ADR 39)
        if user is not None:
            login_user(SessionUser(user))
            if two_factor.must_enrol(user, runtime().settings.staff_totp_required):
                return redirect(url_for("account.two_factor_page"))
            return redirect(home_for(Role(user.role)))
        error = message("bad_credentials")
    return render_template("pages/login.html", error=error, username=username), 401 if error else 200


@bp.route("/activate", methods=["GET", "POST"])
@limiter.limit(lambda: runtime().settings.login_rate_limit, methods=["POST"])
def activate() -> ResponseReturnValue:
    """A citizen registered by ward staff sets their first password with their one-time code, then is signed in."""
    codes: dict[str, str] = {}
    cccd = "".join(request.form.get("cccd", "").split())
    code = request.form.get("code", "").strip()
    if request.method == "POST":
        session = db()
        try:
            user = activation.activate(session, {"cccd": cccd, "code": code,
                                                 "password": request.form.get("password", "")})
            session.commit()
            login_user(SessionUser(user))
            flash(gettext("Your password is set. Welcome!"))
            return redirect(home_for(Role(user.role)))
        except Invalid as exc:
            session.rollback()
            codes = dict(exc.fields)
    errors = error_messages(codes, ("cccd", "code", "password"))
    labels = {"cccd": gettext("Personal identification number (CCCD number)"), "code": gettext("Activation code"),
              "password": gettext("Password")}
    return render_template("pages/activate.html", errors=errors, labels=labels, cccd=cccd,
                           code=code if "code" not in codes else ""), 422 if errors else 200


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out: this cookie, and any copy of it, no longer signs in (the session version moves on)."""
    if current_user.is_authenticated:
        session = db()
        accounts.sign_out(session, current_user.user.id)
        session.commit()
    logout_user()
    response = redirect(url_for("public.start"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'  # what the browser kept of the signed-in pages
    return response


@bp.get("/verify/<code>")
@limiter.limit(lambda: runtime().settings.verify_rate_limit)
def verify(code: str) -> ResponseReturnValue:
    """Public verification reached by the certificate's QR code."""
    result = issuance.verify(db(), code.strip().upper(), public_keys=runtime().public_keys,
                             storage=runtime().storage)
    checked_at = now() + HANOI_OFFSET
    return render_template("pages/verify.html", result=result, code=code, checked_at=checked_at), (
        200 if result.status != VerificationStatus.UNKNOWN else 404)


@bp.get("/.well-known/cdht-keys.json")
def published_keys() -> ResponseReturnValue:
    """The public keys that verify certificates offline: active and retired (ADR 27)."""
    response = jsonify(runtime().keys_document)
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"  # a checker in a browser may fetch it from anywhere
    return response


@bp.get("/verify")
def verify_form() -> ResponseReturnValue:
    """Type a code printed on a certificate."""
    code = request.args.get("code", "").strip()
    if code:
        from certificates import normalise_code

        try:
            return redirect(url_for("public.verify", code=normalise_code(code)))
        except ValueError:
            return render_template("pages/verify_form.html", error=message("not_found"), code=code), 422
    return render_template("pages/verify_form.html", error=None, code="")


INFO_PAGES = ("help", "contact", "privacy", "accessibility")


@bp.get("/<any(help, contact, privacy, accessibility):page>")
def info(page: str) -> ResponseReturnValue:
    """Help, contact, privacy and accessibility: the pages every public service links from its footer."""
    return render_template(f"pages/info/{page}.html")


RESET_REQUEST_LIMIT = "5 per hour"  # per address: enough for a typo or two, too few to probe who is registered


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(RESET_REQUEST_LIMIT, methods=["POST"])
def forgot_password() -> ResponseReturnValue:
    """Ask for a reset link by e-mail; the answer is the same whether or not the account exists or has an address,
    and says what to do without one (the ward's desk)."""
    if request.method == "POST":
        who = request.form.get("who", "").strip()
        if not who or len(who) > 254:
            errors = error_messages({"who": "required" if not who else "too_long"}, ("who",))
            return render_template("pages/password_forgot.html", errors=errors, who=who[:254]), 422
        session = db()
        password_reset.request_reset(session, who)
        commit(session)  # the e-mail is sent by a worker after this commit
        return render_template("pages/password_sent.html")
    return render_template("pages/password_forgot.html", errors={}, who="")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: runtime().settings.login_rate_limit, methods=["POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password from the e-mail's link (an hour, once); then sign in with it."""
    found = password_links.read_token(token)
    if found is None:
        return render_template("pages/password_link_bad.html"), 410
    codes: dict[str, str] = {}
    if request.method == "POST":
        password, again = request.form.get("password", ""), request.form.get("password_again", "")
        if password != again:
            codes["password_again"] = "passwords_differ"
        else:
            session = db()
            try:
                password_reset.set_new_password(session, found[0], found[1], password)
                session.commit()
                flash(gettext("Your password is changed. Sign in with the new one."))
                return redirect(url_for(".login"))
            except Invalid as exc:
                session.rollback()
                if exc.fields.get("password") == "reset_link_used":
                    return render_template("pages/password_link_bad.html"), 410
                codes = dict(exc.fields)
    errors = error_messages(codes, ("password", "password_again"))
    return render_template("pages/password_reset.html", errors=errors), 422 if errors else 200
