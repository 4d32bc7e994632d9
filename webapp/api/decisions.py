"""The ward chair's recognition decision and its issuance progress."""

from flask import jsonify
from flask.typing import ResponseReturnValue

from certificates import new_code
from workflows import decisions

from ..auth import bearer_actor
from ..database import db
from ..dispatch import enqueue_renders
from ..runtime import runtime
from . import bp
from .io import iso, json_body


@bp.post("/decisions")
def create_decision() -> ResponseReturnValue:
    """Record a decision; its certificates are queued in the same transaction and rendered after the commit."""
    session = db()
    decision, certs = decisions.record_decision(session, bearer_actor(), json_body(), new_code=new_code,
                                                verify_url=runtime().verify_url)
    session.commit()
    enqueue_renders(c.id for c in certs)
    return jsonify({"id": decision.id, "number": decision.number, "year": decision.year,
                    "certificates": [{"application_id": c.application_id, "code": c.code, "status": c.status}
                                     for c in certs]}), 201


@bp.get("/decisions/<decision_id>")
def show_decision(decision_id: str) -> ResponseReturnValue:
    """A decision with its issuance progress."""
    decision, progress = decisions.decision_progress(db(), bearer_actor(), decision_id)
    return jsonify({"id": decision.id, "ward_code": decision.ward_code, "year": decision.year,
                    "number": decision.number, "signed_on": iso(decision.signed_on),
                    "signer_name": decision.signer_name, **progress})


@bp.post("/decisions/<decision_id>/retry")
def retry_failed(decision_id: str) -> ResponseReturnValue:
    """Queue the decision's failed certificates again (its ward's chair, or an admin)."""
    session = db()
    ids = decisions.retry_failed(session, bearer_actor(), decision_id)
    session.commit()
    enqueue_renders(ids)
    return jsonify({"requeued": len(ids)})
