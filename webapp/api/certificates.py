"""Certificates: details, the PDF, revocation, and public verification."""

from flask import Response, jsonify
from flask.typing import ResponseReturnValue

from workflows import issuance
from workflows.inputs import RevocationInput, parse

from ..auth import bearer_actor
from ..database import db
from ..dispatch import commit
from ..downloads import pdf_response
from ..runtime import runtime
from ..serializers import certificate_json
from . import bp
from .io import json_body


@bp.get("/certificates/<code>")
def show_certificate(code: str) -> ResponseReturnValue:
    """Details for the holder, the ward's staff or an admin."""
    return jsonify(certificate_json(issuance.certificate_for(db(), bearer_actor(), code)))


@bp.get("/certificates/<code>/pdf")
def pdf(code: str) -> Response:
    """The PDF once issued."""
    return pdf_response(issuance.certificate_for(db(), bearer_actor(), code))


@bp.post("/certificates/<code>/revoke")
def revoke(code: str) -> ResponseReturnValue:
    """Revoke with a reason (ward chair of its ward, or admin)."""
    session = db()
    actor = bearer_actor()
    cert = issuance.revoke(session, actor, code, parse(RevocationInput, json_body()))
    commit(session)
    return jsonify(certificate_json(cert))


@bp.get("/verify/<code>")
def verify(code: str) -> ResponseReturnValue:
    """Public: is this code a valid certificate?"""
    result = issuance.verify(db(), code, public_keys=runtime().public_keys, storage=runtime().storage)
    body = {k: v for k, v in result.__dict__.items() if v is not None or k in ("valid", "status")}
    return jsonify(body)
