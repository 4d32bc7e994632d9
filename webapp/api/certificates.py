"""Certificates: details, the PDF, revocation, and public verification."""

from flask import Response, jsonify
from flask.typing import ResponseReturnValue

from certificates import new_code
from workflows import issuance, reissue
from workflows.inputs import ReissueInput, RevocationInput, parse

from ..auth import bearer_actor
from ..database import db
from ..dispatch import commit
from ..downloads import pdf_response
from ..extensions import limiter
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


@bp.post("/certificates/<code>/reissue")
def reissue_certificate(code: str) -> ResponseReturnValue:
    """Correct the holder's name and/or date of birth and reissue: a new certificate supersedes this one (ADR 28)."""
    session = db()
    actor = bearer_actor()
    reissue.may_reissue(actor)  # who first: 403 before the body is read
    done = reissue.reissue(session, actor, code, parse(ReissueInput, json_body()), new_code=new_code,
                           verify_url=runtime().verify_url)
    commit(session)  # the new certificate's render is sent after this commit
    return jsonify({"code": done.new.code, "status": done.new.status, "supersedes": done.old.code,
                    "register_number": done.new.register_number,
                    "verify_url": runtime().verify_url(done.new.code)}), 201


@bp.get("/verify/<code>")
@limiter.limit(lambda: runtime().settings.verify_rate_limit)
def verify(code: str) -> ResponseReturnValue:
    """Public: is this code a valid certificate?"""
    result = issuance.verify(db(), code, public_keys=runtime().public_keys, storage=runtime().storage)
    body: dict[str, object] = {k: v for k, v in result.__dict__.items() if v is not None or k in ("valid", "status")}
    if result.superseded_by:  # the newest certificate of its chain of reissues, and where to check it
        body["superseded_by"] = {"code": result.superseded_by, "verify_url": runtime().verify_url(result.superseded_by)}
    return jsonify(body)
