"""The ward's review queue and a reviewer's decision on one application."""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from workflows import review as reviewing
from workflows.errors import Invalid
from workflows.validation import parse_int

from ..auth import bearer_actor
from ..database import db
from . import bp
from .io import application_json, iso, json_body


@bp.get("/review/queue")
def queue() -> ResponseReturnValue:
    """One page of the caller's ward queue (filters: state, q, page)."""
    state = request.args.get("state", "submitted") or None
    if state and state not in reviewing.QUEUE_STATES:
        raise Invalid(fields={"state": "invalid_choice"})
    page = parse_int(request.args.get("page", "1"), 1, 100_000)
    if page is None:
        raise Invalid(fields={"page": "out_of_range"})
    rows, total = reviewing.queue(db(), bearer_actor(), state=state, q=request.args.get("q"), page=page)
    items = [{"id": r.id, "state": r.state, "version": r.version, "citizen_name": r.citizen_name,
              "target_group": r.target_group, "submitted_at": iso(r.submitted_at), "total": r.total} for r in rows]
    return jsonify({"items": items, "total": total, "page": page, "page_size": reviewing.PAGE_SIZE})


@bp.post("/applications/<application_id>/review")
def review(application_id: str) -> ResponseReturnValue:
    """Approve, return or reject; 409 on a stale version, 422 when approval fails the pass rule."""
    data = json_body()
    session = db()
    app = reviewing.review(session, bearer_actor(), application_id, data.get("action"), scores=data.get("scores"),
                           comment=data.get("comment"), version=data.get("version"))
    session.commit()
    return jsonify(application_json(session, app))
