"""Ward review: the queue of one's own ward, and approve / return / reject."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from . import names
from .access import visible_application
from .actors import WARD_STAFF, Actor
from .applications import assessment, parse_scores
from .clock import now
from .errors import Forbidden, Invalid, NotFound
from .models import Application, Citizen
from .states import apply_event

ACTIONS = {"approve": "approve", "return": "return", "reject": "reject"}
PAGE_SIZE = 25
QUEUE_STATES = ("submitted", "returned", "approved", "rejected", "recognised")


def review(
    session: Session, actor: Actor, application_id: str, action: Any, *, scores: Any = None,
    comment: Any = None, version: Any = None,
) -> Application:
    """Apply a reviewer's decision; approval needs the pass rule met by the ward's scores."""
    if actor.role not in WARD_STAFF:
        raise Forbidden("role_not_allowed")
    app = visible_application(session, actor, application_id)
    errors: dict[str, str] = {}
    if not isinstance(action, str) or action not in ACTIONS:
        errors["action"] = "invalid_choice"
    if version is None:
        errors["version"] = "required"
    elif not isinstance(version, int) or isinstance(version, bool):
        errors["version"] = "not_integer"
    text = comment.strip() if isinstance(comment, str) else ""
    if action in ("return", "reject") and not text:
        errors["comment"] = "comment_required"
    if len(text) > 2000:
        errors["comment"] = "too_long"
    if errors:
        raise Invalid(fields=errors)
    ward_scores = dict(app.self_scores)
    if scores is not None:
        ward_scores.update(parse_scores(session, app, scores))
    result = assessment(session, app, ward_scores)
    if action == "approve" and not result.passed:
        raise Invalid(
            "pass_rule_failed",
            fields={f"scores.{c}": "below_minimum" for c in result.below_minimum}
            | {f"scores.{c}": "required" for c in result.missing}
            | ({"scores": "total_below_pass"} if not result.below_minimum and not result.missing else {}),
            total=result.total,
        )
    apply_event(session, app, ACTIONS[action], actor, expected_version=version,
                detail={"comment": text, "total": result.total})
    app.reviewer_scores = ward_scores
    app.total = result.total
    app.review_comment = text or None
    app.reviewed_by = actor.user_id
    app.reviewed_at = now()
    session.add(app)
    session.flush()
    return app


@dataclass(frozen=True)
class QueueRow:
    """One line of the reviewer's queue."""

    id: str
    state: str
    version: int
    citizen_name: str
    target_group: str
    submitted_at: Any
    total: int | None


def queue(
    session: Session, actor: Actor, *, state: str | None = "submitted", q: str | None = None, page: int = 1,
    page_size: int = PAGE_SIZE,
) -> tuple[list[QueueRow], int]:
    """Return one page of the actor's ward queue and the total count; other wards are never visible."""
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        raise NotFound()
    stmt = select(Application, Citizen).join(Citizen, col(Citizen.id) == col(Application.citizen_id)).where(
        Application.ward_code == actor.ward_code, Application.state != "draft"
    )
    if state:
        stmt = stmt.where(Application.state == state)
    if q:
        stmt = stmt.where(col(Citizen.name_folded).contains(names.fold(q)))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(Application.submitted_at).asc(), col(Application.id)).offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return [
        QueueRow(id=a.id, state=a.state, version=a.version, citizen_name=c.full_name, target_group=a.target_group,
                 submitted_at=a.submitted_at, total=a.total)
        for a, c in rows
    ], int(total)
