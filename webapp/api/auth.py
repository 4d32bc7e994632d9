"""POST /auth/token and GET /me."""

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue

from workflows import accounts, two_factor
from workflows.models import Citizen
from workflows.validation import FieldErrors

from ..auth import Unauthorized, bearer_actor
from ..database import db
from ..dispatch import commit
from ..extensions import account_key, limiter, refused_sign_in
from ..runtime import runtime
from ..serializers import citizen_json, iso
from . import bp
from .io import json_body


class BadCredentials(Unauthorized):
    """Wrong username or password (the same answer for both)."""

    code = "bad_credentials"


class OtpRequired(Unauthorized):
    """The password is right and the account signs in in two steps: send the code in "otp" (ADR 39)."""

    code = "otp_required"


class OtpInvalid(Unauthorized):
    """The code sent in "otp" is wrong, or was already used."""

    code = "otp_invalid"


class OtpEnrolmentRequired(Unauthorized):
    """A staff member who must turn on two-step sign-in on the website before anything else."""

    code = "otp_enrolment_required"


@bp.post("/auth/token")
@limiter.limit(lambda: runtime().settings.login_rate_limit)
@limiter.limit(lambda: runtime().settings.login_account_limit, key_func=account_key, deduct_when=refused_sign_in)
def token() -> ResponseReturnValue:
    """Exchange a username and password (and, for staff with two-step sign-in, a code) for a bearer token."""
    data = json_body()
    errors = FieldErrors()
    username = errors.text(data, "username", 64)
    password = errors.secret(data, "password")
    otp = errors.text(data, "otp", 32, required=False)
    if errors:
        raise errors.invalid()
    session = db()
    user = accounts.authenticate(session, str(username), str(password), channel="api")
    if user is None:
        commit(session)  # the refusal is audited
        raise BadCredentials()
    settings = runtime().settings
    if two_factor.enrolled(user):
        if not otp:
            commit(session)  # the password step is audited
            g.otp_asked = True  # asking for the code is no refusal (webapp.extensions.refused_sign_in)
            raise OtpRequired()
        if not two_factor.second_step(session, user, settings.totp_sealing_key, str(otp), channel="api"):
            commit(session)  # audited as a refused sign-in
            raise OtpInvalid()
    elif two_factor.must_enrol(user, settings.staff_totp_required):
        commit(session)
        raise OtpEnrolmentRequired()
    value, expires_at = accounts.issue_token(session, user)
    commit(session)
    return jsonify({"token": value, "expires_at": iso(expires_at), "role": user.role})


@bp.delete("/auth/token")
def revoke_token() -> ResponseReturnValue:
    """Revoke the bearer token this request carries (sign out of the API)."""
    bearer_actor()
    session = db()
    accounts.revoke_token(session, request.headers["Authorization"].partition(" ")[2].strip())
    commit(session)
    return "", 204


@bp.get("/me")
def me() -> ResponseReturnValue:
    """The caller's profile and role."""
    actor = bearer_actor()
    assert actor is not None
    session = db()
    body: dict[str, object] = {"id": actor.user_id, "role": actor.role, "ward_code": actor.ward_code}
    if actor.citizen_id:
        citizen = session.get(Citizen, actor.citizen_id)
        body["citizen"] = citizen_json(citizen) if citizen else None
    return jsonify(body)




def _caller_key() -> str:
    """The per-account limit of a password change: keyed by the bearer token's account."""
    actor = bearer_actor()
    return f"password-change:{actor.user_id if actor else request.remote_addr}"


@bp.put("/me/password")
@limiter.limit(lambda: runtime().settings.login_account_limit, key_func=_caller_key,
               deduct_when=lambda response: response.status_code == 422)
def change_password() -> ResponseReturnValue:
    """Change the caller's password ({"current_password", "password"}); every session and token of the account ends,
    this token too (204)."""
    actor = bearer_actor()
    assert actor is not None
    data = json_body()
    errors = FieldErrors()
    current = errors.secret(data, "current_password")
    new = errors.secret(data, "password")
    if errors:
        raise errors.invalid()
    session = db()
    accounts.change_password(session, str(actor.user_id), str(current), str(new), channel="api")
    commit(session)
    return "", 204
