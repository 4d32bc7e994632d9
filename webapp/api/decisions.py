"""The ward chair's recognition decision and its issuance progress."""

from flask import Response, jsonify
from flask.typing import ResponseReturnValue

from certificates import new_code
from workflows import decision_documents, decisions
from workflows.inputs import DecisionInput, parse

from ..auth import bearer_actor
from ..database import db
from ..dispatch import commit
from ..downloads import batch_download, decision_pdf_response
from ..runtime import runtime
from ..serializers import iso
from . import bp
from .io import json_body


@bp.post("/decisions")
def create_decision() -> ResponseReturnValue:
    """Record a decision; its certificates are queued in the same transaction and rendered after the commit."""
    session = db()
    actor = bearer_actor()
    decisions.may_decide(actor)  # who first: 403 before the body is read
    data = parse(DecisionInput, json_body())
    decision, certs = decisions.record_decision(session, actor, data, new_code=new_code,
                                                verify_url=runtime().verify_url)
    commit(session)
    return jsonify({"id": decision.id, "number": decision.number, "year": decision.year,
                    "certificates": [{"application_id": c.application_id, "code": c.code, "status": c.status}
                                     for c in certs]}), 201


@bp.get("/decisions/<decision_id>")
def show_decision(decision_id: str) -> ResponseReturnValue:
    """A decision with its issuance progress."""
    decision, progress = decisions.decision_progress(db(), bearer_actor(), decision_id)
    return jsonify({"id": decision.id, "ward_code": decision.ward_code, "year": decision.year,
                    "number": decision.number, "signed_on": iso(decision.signed_on),
                    "signer_name": decision.signer_name, "document_status": decision.document_status,
                    "document_sha256": decision.document_sha256, **progress})


@bp.post("/decisions/<decision_id>/retry")
def retry_failed(decision_id: str) -> ResponseReturnValue:
    """Queue the decision's failed certificates again (its ward's chair, or an admin)."""
    session = db()
    ids = decisions.retry_failed(session, bearer_actor(), decision_id)
    commit(session)
    return jsonify({"requeued": len(ids)})


@bp.get("/decisions/<decision_id>/pdf")
def decision_pdf(decision_id: str) -> ResponseReturnValue:
    """The decision document with its attached list (its ward's staff, an admin); 409 while being prepared."""
    return decision_pdf_response(decision_documents.document_for(db(), bearer_actor(), decision_id))


@bp.get("/decisions/<decision_id>/certificates.zip", defaults={"kind": "zip"})
@bp.get("/decisions/<decision_id>/certificates.pdf", defaults={"kind": "pdf"})
def certificates_file(decision_id: str, kind: str) -> Response:
    """The decision's issued certificates as one ZIP or one merged PDF; 409 while a worker prepares it (asked once)."""
    return batch_download(bearer_actor(), decision_id, kind)
