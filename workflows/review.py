"""Ward review: the queue of one's own ward, and approve / return / reject."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select  # sqlmodel's select types at most four columns
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


@dataclass(frozen=True)
class QueuePage:
    """One page of a ward's queue, the number of rows behind it, and the count per state (for the filter links)."""

    rows: list[QueueRow]
    total: int
    counts: dict[ApplicationState, int]


def queue(
    session: Session, actor: Actor, *, state: ApplicationState | None = ApplicationState.SUBMITTED,
    q: str | None = None, page: int = 1, page_size: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the actor's ward queue, oldest submission first; other wards are never visible.

    Two statements whatever the ward's size: the counts per state in one GROUP BY, and the page itself, whose
    offset is walked on the (ward, state, submitted_at, id) index alone before the page's 25 rows meet their
    citizens. A name search (diacritics optional) goes through the citizens of the ward by their folded name.
    """
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        raise NotFound()
    where = [col(Application.ward_code) == actor.ward_code, col(Application.state) != ApplicationState.DRAFT]
    if q:
        named = select(Citizen.id).where(Citizen.ward_code == actor.ward_code,
                                         col(Citizen.name_folded).contains(names.fold(q), autoescape=True))
        where.append(col(Application.citizen_id).in_(named))
    counted = session.exec(select(Application.state, func.count()).where(*where).group_by(col(Application.state)))
    counts = dict.fromkeys(QUEUE_STATES, 0) | {ApplicationState(s): int(n) for s, n in counted}
    if state:
        where.append(col(Application.state) == state)
    total = counts.get(state, 0) if state else sum(counts.values())
    ids = (select(Application.id).where(*where)
           .order_by(col(Application.submitted_at), col(Application.id))
           .offset((page - 1) * page_size).limit(page_size).subquery())
    rows = session.execute(
        sa_select(col(Application.id), col(Application.state), col(Application.version), col(Citizen.full_name),
                  col(Application.target_group), col(Application.submitted_at), col(Application.total))
        .join(ids, col(ids.c.id) == col(Application.id))
        .join(Citizen, col(Citizen.id) == col(Application.citizen_id))
        .order_by(col(Application.submitted_at), col(Application.id))
    ).all()
    return QueuePage(
        rows=[QueueRow(id=i, state=ApplicationState(st), version=v, citizen_name=name, target_group=group,
                       submitted_at=at, total=t) for i, st, v, name, group, at, t in rows],
        total=total, counts=counts)
