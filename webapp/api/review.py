"""The ward's review queue and a reviewer's decision on one application."""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from workflows import review as reviewing
from workflows import review_queue
from workflows.errors import Invalid
from workflows.inputs import ReviewInput, parse
from workflows.validation import parse_int
from workflows.vocabulary import ApplicationState

from ..auth import bearer_actor
from ..database import db
from ..dispatch import commit
from ..serializers import application_json, iso
from . import bp
from .io import json_body


@bp.get("/review/queue")
def queue() -> ResponseReturnValue:
    """One page of the caller's ward queue (filters: state, q; page by number, or by `cursor` from `next_cursor`)."""
    raw = request.args.get("state", ApplicationState.SUBMITTED) or None
    if raw is not None and raw not in review_queue.QUEUE_STATES:
        raise Invalid(fields={"state": "invalid_choice"})
    state = ApplicationState(raw) if raw else None
    page = parse_int(request.args.get("page", "1"), 1, 100_000)
    if page is None:
        raise Invalid(fields={"page": "out_of_range"})
    after = request.args.get("cursor")
    found = review_queue.queue(db(), bearer_actor(), state=state, q=request.args.get("q"), page=page,
                               after=review_queue.Cursor.parse(after) if after else None)
    items = [{"id": r.id, "state": r.state, "version": r.version, "citizen_name": r.citizen_name,
              "target_group": r.target_group, "submitted_at": iso(r.submitted_at), "total": r.total}
             for r in found.rows]
    return jsonify({"items": items, "total": found.total, "page": found.page, "page_size": review_queue.PAGE_SIZE,
                    "next_cursor": found.after.token() if found.after else None})


@bp.post("/applications/<application_id>/review")
def review(application_id: str) -> ResponseReturnValue:
    """Approve, return or reject; 409 on a stale version, 422 when approval fails the pass rule."""
    session, actor = db(), bearer_actor()
    reviewing.may_review(session, actor, application_id)  # who first: 404 or 403 before the body is read
    app = reviewing.review(session, actor, application_id, parse(ReviewInput, json_body()))
    commit(session)
    return jsonify(application_json(session, app))
