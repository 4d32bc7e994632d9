"""Ward review: the queue of one's own ward, and approve / return / reject."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from . import names
from .access import visible_application
from .actors import WARD_STAFF, Actor
from .applications import assessment, check_scores, criteria_set_of
from .clock import now
from .errors import Invalid, NotFound
from .inputs import ReviewInput
from .models import Application, Citizen
from .states import apply_event, authorise, require_role
from .vocabulary import ApplicationState, Entity, Event

PAGE_SIZE = 25
QUEUE_STATES = tuple(s for s in ApplicationState if s is not ApplicationState.DRAFT)


def may_review(session: Session, actor: Actor, application_id: str) -> Application:
    """The application, if the actor may see it (else 404) and has a role the table lets review (else 403).

    Callers check this before reading the verdict, so a citizen or a chair learns nothing about its fields.
    """
    app = visible_application(session, actor, application_id)
    require_role(actor, Entity.APPLICATION, Event.APPROVE)
    return app


def review(session: Session, actor: Actor, application_id: str, data: ReviewInput) -> Application:
    """Apply a reviewer's verdict; proposing needs the pass rule met by scores the reviewer gave or confirmed."""
    app = visible_application(session, actor, application_id)
    authorise(app, data.action, actor)  # who and when first: a citizen or a chair learns nothing about fields
    errors: dict[str, str] = {}
    text = data.comment or ""
    if data.action in (Event.RETURN, Event.REJECT) and not text:
        errors["comment"] = "comment_required"
    entered = check_scores(session, app, data.scores) if data.scores else {}
    # The citizen's own scores count only when the reviewer explicitly confirms them.
    ward_scores = {**app.self_scores, **entered} if data.confirm_self_scores else entered
    result = assessment(session, app, ward_scores)
    if data.action == Event.APPROVE and result.missing and not data.confirm_self_scores:
        errors["confirm_self_scores"] = "confirm_self_scores"
    if errors:
        raise Invalid(fields=errors)
    if data.action == Event.APPROVE and not result.passed:
        cset = criteria_set_of(session, app)
        raise Invalid(
            "pass_rule_failed",
            fields={f"scores.{c}": "below_minimum" for c in result.below_minimum}
            | {f"scores.{c}": "required" for c in result.missing}
            | ({"scores": "total_below_pass"} if not result.below_minimum and not result.missing else {}),
            total=result.total, pass_total=cset.pass_total, pass_each=cset.pass_min_indicator,
        )
    apply_event(session, app, data.action, actor, expected_version=data.version,
                detail={"comment": text, "total": result.total, "confirmed_self_scores": data.confirm_self_scores})
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
    state: ApplicationState
    version: int
    citizen_name: str
    target_group: str
    submitted_at: Any
    total: int | None


def queue(
    session: Session, actor: Actor, *, state: ApplicationState | None = ApplicationState.SUBMITTED,
    q: str | None = None, page: int = 1,
    page_size: int = PAGE_SIZE,
) -> tuple[list[QueueRow], int]:
    """Return one page of the actor's ward queue and the total count; other wards are never visible."""
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        raise NotFound()
    stmt = select(Application, Citizen).join(Citizen, col(Citizen.id) == col(Application.citizen_id)).where(
        Application.ward_code == actor.ward_code, Application.state != ApplicationState.DRAFT
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
        QueueRow(id=a.id, state=ApplicationState(a.state), version=a.version, citizen_name=c.full_name,
                 target_group=a.target_group,
                 submitted_at=a.submitted_at, total=a.total)
        for a, c in rows
    ], int(total)
