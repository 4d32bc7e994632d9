"""POST /citizens: self-registration."""

from flask import jsonify
from flask.typing import ResponseReturnValue

from workflows.registration import register_citizen

from ..database import db
from . import bp
from .io import citizen_json, json_body


@bp.post("/citizens")
def register() -> ResponseReturnValue:
    """Register a citizen; 422 names each bad field, 409 when the CCCD exists."""
    session = db()
    citizen = register_citizen(session, json_body())
    session.commit()
    return jsonify(citizen_json(citizen)), 201
