"""POST /auth/token and GET /me."""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from workflows import accounts
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


@bp.post("/auth/token")
@limiter.limit(lambda: runtime().settings.login_rate_limit)
@limiter.limit(lambda: runtime().settings.login_account_limit, key_func=account_key, deduct_when=refused_sign_in)
def token() -> ResponseReturnValue:
    """Exchange a username and password for a bearer token."""
    data = json_body()
    errors = FieldErrors()
    username = errors.text(data, "username", 64)
    password = errors.secret(data, "password")
    if errors:
        raise errors.invalid()
    session = db()
    user = accounts.authenticate(session, str(username), str(password), channel="api")
    if user is None:
        commit(session)  # the refusal is audited
        raise BadCredentials()
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


