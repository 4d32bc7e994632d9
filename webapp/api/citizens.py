"""POST /citizens: self-registration."""

from flask import jsonify
from flask.typing import ResponseReturnValue

from workflows.registration import register_citizen

from ..database import db
from ..dispatch import commit
from ..extensions import limiter
from ..runtime import runtime
from ..serializers import citizen_json
from . import bp
from .io import json_body


@bp.post("/citizens")
@limiter.limit(lambda: runtime().settings.registration_rate_limit)
def register() -> ResponseReturnValue:
    """Register a citizen; 422 names each bad field, 409 when the CCCD exists."""
    session = db()
    citizen = register_citizen(session, json_body())
    commit(session)
    return jsonify(citizen_json(citizen)), 201
