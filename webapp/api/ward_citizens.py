"""Assisted registration (ADR 25): a ward's officials register citizens of their ward, one at a time or from a CSV
file, and give a citizen who lost their activation code a new one; and the citizen's activation."""

from flask import jsonify
from flask.typing import ResponseReturnValue

from workflows import activation, assisted

from ..auth import bearer_actor
from ..database import db
from ..dispatch import commit
from ..extensions import limiter
from ..i18n import target_group_names
from ..runtime import runtime
from ..serializers import registered_json
from ..uploads import flag, read_file
from . import bp
from .io import json_body

NO_STORE = {"Cache-Control": "no-store"}  # answers that carry activation codes are kept by no cache


@bp.post("/ward/citizens")
def register_citizen() -> ResponseReturnValue:
    """Register a citizen of the caller's ward, consent signed on paper; 201 with the one-time activation code."""
    actor = bearer_actor()
    assisted.authorise(actor, None)
    session = db()
    done = assisted.register(session, actor, json_body())
    commit(session)
    return jsonify(registered_json(done.citizen, done.code.code, done.code.expires_at)), 201, NO_STORE


@bp.post("/ward/citizens/imports")
def import_citizens() -> ResponseReturnValue:
    """Register the citizens of a CSV file in the caller's ward: all or nothing, idempotent by CCCD; a dry run
    writes nothing and lists no codes."""
    actor = bearer_actor()
    ward_code = assisted.authorise(actor, None)
    data, name = read_file()
    dry_run = flag("dry_run")
    session = db()
    report = assisted.import_citizens(session, actor, ward_code, assisted.parse(data, target_group_names()),
                                      file_name=name, dry_run=dry_run)
    if dry_run:
        session.rollback()
    else:
        commit(session)
    return jsonify(report.as_json()), 200, NO_STORE


@bp.post("/ward/citizens/activation-codes")
def reissue_code() -> ResponseReturnValue:
    """A new activation code for a citizen of the caller's ward who has not set a password yet."""
    actor = bearer_actor()
    assisted.authorise(actor, None)
    body = json_body()
    session = db()
    done = assisted.reissue(session, actor, str(body.get("cccd") or ""))
    commit(session)
    return jsonify(registered_json(done.citizen, done.code.code, done.code.expires_at)), 201, NO_STORE


@bp.post("/auth/activate")
@limiter.limit(lambda: runtime().settings.login_rate_limit)
def activate() -> ResponseReturnValue:
    """The citizen sets their first password with their CCCD and activation code; 204, then sign in as usual."""
    session = db()
    activation.activate(session, json_body())
    commit(session)
    return "", 204
