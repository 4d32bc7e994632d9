"""The ward's review queue and a reviewer's decision on one application."""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from workflows import assignment, bulk_review, review_queue
from workflows import review as reviewing
from workflows.errors import Invalid
from workflows.inputs import ReviewInput, parse
from workflows.validation import parse_int
from workflows.vocabulary import ApplicationState

from ..auth import bearer_actor
from ..database import db
from ..dispatch import commit
from ..queue_filters import queue_filters
from ..serializers import application_json, iso
from . import bp
from .io import json_body


@bp.get("/review/queue")
def queue() -> ResponseReturnValue:
    """One page of the caller's ward queue (filters: state, q, target_group, hamlet, assignee, waited_days,
    has_evidence, passes; page by number, or by `cursor` from `next_cursor`)."""
    raw = request.args.get("state", ApplicationState.SUBMITTED) or None
    if raw is not None and raw not in review_queue.QUEUE_STATES:
        raise Invalid(fields={"state": "invalid_choice"})
    state = ApplicationState(raw) if raw else None
    page = parse_int(request.args.get("page", "1"), 1, 100_000)
    if page is None:
        raise Invalid(fields={"page": "out_of_range"})
    after = request.args.get("cursor")
    actor = bearer_actor()
    found = review_queue.queue(db(), actor, state=state, page=page,
                               after=review_queue.Cursor.parse(after) if after else None,
                               filters=queue_filters(request.args, actor))
    items = [{"id": r.id, "state": r.state, "version": r.version, "citizen_name": r.citizen_name,
              "target_group": r.target_group, "submitted_at": iso(r.submitted_at), "total": r.total,
              "hamlet": r.hamlet, "assignee": r.assignee_name, "passes": r.passes,
              "has_evidence": r.has_evidence}
             for r in found.rows]
    return jsonify({"items": items, "total": found.total, "total_exact": found.total_exact, "page": found.page,
                    "page_size": review_queue.PAGE_SIZE,
                    "next_cursor": found.after.token() if found.after else None})


@bp.post("/applications/<application_id>/review")
def review(application_id: str) -> ResponseReturnValue:
    """Approve, return or reject; 409 on a stale version, 422 when approval fails the pass rule."""
    session, actor = db(), bearer_actor()
    reviewing.may_review(session, actor, application_id)  # who first: 404 or 403 before the body is read
    app = reviewing.review(session, actor, application_id, parse(ReviewInput, json_body()))
    commit(session)
    return jsonify(application_json(session, app))


@bp.post("/review/bulk")
def bulk() -> ResponseReturnValue:
    """Propose many applications for recognition at once; one outcome per item."""
    session, actor = db(), bearer_actor()
    body = json_body()
    if body.get("action") != "approve":
        raise Invalid(fields={"action": "invalid_choice"})
    items = body.get("items")
    if not isinstance(items, list):
        raise Invalid(fields={"items": "required"})
    pairs: list[tuple[str, int]] = []
    for n, item in enumerate(items):
        ident = item.get("id") if isinstance(item, dict) else None
        version = item.get("version") if isinstance(item, dict) else None
        if not isinstance(ident, str) or not ident or len(ident) > 32 or not isinstance(version, int) \
                or isinstance(version, bool):
            raise Invalid(fields={f"items.{n}": "invalid"})
        pairs.append((ident, version))
    outcomes = bulk_review.propose(session, actor, pairs)
    commit(session)
    return jsonify({"results": [{"id": o.id, "outcome": o.outcome} for o in outcomes]})


@bp.post("/review/assign")
def assign() -> ResponseReturnValue:
    """Give applications to a reviewer of the ward (`assignee` null: to nobody)."""
    session, actor = db(), bearer_actor()
    body = json_body()
    ids = body.get("application_ids")
    assignee = body.get("assignee")
    if not isinstance(ids, list) or not all(isinstance(i, str) and 0 < len(i) <= 32 for i in ids):
        raise Invalid(fields={"application_ids": "invalid"})
    if assignee is not None and not isinstance(assignee, str):
        raise Invalid(fields={"assignee": "invalid"})
    moved = assignment.assign(session, actor, ids, assignee)
    commit(session)
    return jsonify({"assigned": moved})
