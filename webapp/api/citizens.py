"""POST /citizens: self-registration."""

from flask import jsonify
from flask.typing import ResponseReturnValue

from workflows.registration import receive

from ..database import db
from ..dispatch import commit
from ..extensions import limiter
from ..runtime import runtime
from ..serializers import receipt_json
from . import bp
from .io import json_body


@bp.post("/citizens")
@limiter.limit(lambda: runtime().settings.registration_rate_limit)
def register() -> ResponseReturnValue:
    """Register a citizen; 422 names each bad field. A number registered before gets the same 201 (nothing is
    created, its owner is told: ADR 43), so the answer tells no one who is registered."""
    session = db()
    receipt = receive(session, json_body())
    commit(session)
    return jsonify(receipt_json(receipt)), 201
