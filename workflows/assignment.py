"""Splitting a ward's queue between its reviewers (ADR 26).

A reviewer may be scoped to some tổ dân phố / thôn (the association's branch there) or see the whole ward. Each
application may be held by one reviewer, shown in the queue. A reviewer of the whole ward, or the chair, assigns
and re-assigns any application of the ward to a reviewer whose part of the ward it is in; a reviewer of some tổ
dân phố / thôn takes unheld applications of theirs for themselves, or gives back their own. Assigning changes no
state and no version (a citizen's or another reviewer's page stays valid); every change is audited.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, literal, or_, union_all, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from .access import in_scope, may_see_application
from .accounts import actor_of
from .actors import Actor
from .clock import now
from .db import IN_CHUNK, locked_by_ids
from .errors import Forbidden, Invalid, NotFound
from .hamlets import names_of
from .models import Application, AuditEvent, Hamlet, User
from .vocabulary import ApplicationState, Entity, Event, Role

MAX_AT_ONCE = 5_000


@dataclass(frozen=True)
class Choices:
    """What the queue's filters and bulk step offer a ward's staff member."""

    hamlets: list[tuple[str, str]]  # (code, name) of their part of the ward, in the ward's order
    reviewers: list[tuple[str, str]]  # (user id, name) of the ward's active reviewers, by name


def choices(session: Session, actor: Actor) -> Choices:
    """The actor's tổ dân phố / thôn and the ward's reviewers, in one statement (the queue page shows both)."""
    assert actor.ward_code is not None
    places = (sa_select(col(Hamlet.code), col(Hamlet.name), literal(0).label("kind"), col(Hamlet.position))
              .where(col(Hamlet.ward_code) == actor.ward_code, col(Hamlet.active)))
    if actor.hamlets is not None:
        places = places.where(col(Hamlet.code).in_(actor.hamlets))
    people = (sa_select(col(User.id), func.coalesce(func.nullif(col(User.display_name), ""), col(User.username)),
                        literal(1), literal(0))
              .where(col(User.ward_code) == actor.ward_code, col(User.role) == Role.WARD_REVIEWER, col(User.active)))
    both = union_all(places, people).subquery()
    rows = session.execute(sa_select(both).order_by(both.c.kind, both.c.position, both.c[1])).all()
    return Choices(hamlets=[(a, b) for a, b, kind, _ in rows if kind == 0],
                   reviewers=[(a, b) for a, b, kind, _ in rows if kind == 1])


def assign(session: Session, actor: Actor, ids: Sequence[str], assignee_id: str | None) -> int:
    """Give the applications to a reviewer of the ward (None: to nobody); return how many changed hands."""
    if not actor.is_ward_staff or actor.ward_code is None:
        raise Forbidden("role_not_allowed")
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise Invalid(fields={"application_ids": "required"})
    if len(ids) > MAX_AT_ONCE:
        raise Invalid(fields={"application_ids": "too_many"}, limit=MAX_AT_ONCE)
    assignee = _assignee(session, actor, assignee_id)
    # Locked while judged and written: two reviewers taking the same application at once, the second sees the
    # first's hold (held_by_another) instead of overwriting it.
    found = locked_by_ids(session, Application, ids, col(Application.ward_code) == actor.ward_code)
    apps = [found[i] for i in ids if i in found]
    if len(apps) != len(ids) or not all(may_see_application(actor, a) for a in apps):
        raise NotFound()  # another ward's or another area's: not found
    errors: dict[str, str] = {}
    for app in apps:
        if app.state == ApplicationState.DRAFT:
            raise NotFound()  # staff never see a draft
        if not actor.whole_ward and app.assignee_id not in (None, actor.user_id):
            errors[f"application_ids.{app.id}"] = "held_by_another"
        elif assignee is not None and not in_scope(assignee, app.hamlet_code):
            errors[f"application_ids.{app.id}"] = "outside_assignee_area"
    if errors:
        raise Invalid("assignment_refused", fields=errors)
    moved = [a for a in apps if a.assignee_id != assignee_id]
    if not moved:
        return 0
    _hand_over(session, actor, [(a.id, a.state, a.assignee_id) for a in moved], assignee_id)
    for app in moved:
        app.assignee_id = assignee_id
    session.flush()
    return len(moved)


def _assignee(session: Session, actor: Actor, assignee_id: str | None) -> Actor | None:
    """The reviewer to give to, as an Actor (their part of the ward); checks who may give to whom."""
    if not actor.whole_ward and assignee_id not in (None, actor.user_id):
        raise Forbidden("assign_to_self_only")  # a reviewer of some tổ dân phố / thôn takes work, never gives it
    if assignee_id is None:
        return None
    user = session.get(User, assignee_id)
    if user is None or not user.active or user.role != Role.WARD_REVIEWER or user.ward_code != actor.ward_code:
        raise Invalid(fields={"assignee": "not_a_reviewer"})
    return actor_of(user, None)


def set_scope(session: Session, operator: Actor, user: User, hamlet_codes: Sequence[str] | None) -> None:
    """Scope a ward reviewer to some tổ dân phố / thôn of their ward (codes of its list), or to the whole ward
    (None). A city administrator, the ward's chair, or the system (an operator's command); audited."""
    if not (operator.role in (Role.CITY_ADMIN, Role.SYSTEM)
            or (operator.role == Role.WARD_CHAIR and operator.ward_code == user.ward_code)):
        raise Forbidden("role_not_allowed")
    if user.role != Role.WARD_REVIEWER or user.ward_code is None:
        raise Invalid(fields={"username": "not_a_reviewer"})
    codes = None
    if hamlet_codes is not None:
        codes = sorted({c.strip().upper() for c in hamlet_codes if c.strip()})
        known = names_of(session, user.ward_code, codes)
        unknown = [c for c in codes if c not in known]
        if unknown or not codes:
            raise Invalid(fields={"hamlets": "unknown_hamlet"}, codes=", ".join(unknown))
    before = user.hamlet_scope
    user.hamlet_scope = codes
    session.add(user)
    if codes is not None:
        _release_outside(session, operator, user.id, codes)
    session.add(AuditEvent(actor_id=operator.user_id, actor_role=operator.role, entity_type=Entity.USER,
                           entity_id=user.id, event=Event.SCOPE, detail={"from": before, "to": codes}))
    session.flush()


def _hand_over(session: Session, actor: Actor, apps: Sequence[tuple[str, str, str | None]], to: str | None,
               reason: str | None = None) -> None:
    """Give (id, state, holder) applications to `to` (None: nobody): one UPDATE per 900 ids, one audit insert."""
    if not apps:
        return
    moment = now()
    for start in range(0, len(apps), IN_CHUNK):
        chunk = [a[0] for a in apps[start:start + IN_CHUNK]]
        session.execute(update(Application).where(col(Application.id).in_(chunk)).values(assignee_id=to)
                        .execution_options(synchronize_session=False))
    session.execute(insert(AuditEvent), [
        {"at": moment, "actor_id": actor.user_id, "actor_role": actor.role.value,
         "entity_type": Entity.APPLICATION.value, "entity_id": ident, "event": Event.ASSIGN.value,
         "from_state": state, "to_state": state,
         "detail": {"from": holder, "to": to} | ({"reason": reason} if reason else {})}
        for ident, state, holder in apps])


def _release_outside(session: Session, actor: Actor, user_id: str, codes: Sequence[str]) -> None:
    """A reviewer's area narrowed: the applications they hold outside it go back to nobody (they could no longer
    see them, and nobody else could take them)."""
    held = session.execute(sa_select(col(Application.id), col(Application.state), col(Application.assignee_id))
                           .where(col(Application.assignee_id) == user_id,
                                  or_(col(Application.hamlet_code).is_(None),
                                      col(Application.hamlet_code).not_in(codes)))).all()
    _hand_over(session, actor, [(i, st, who) for i, st, who in held], None, reason="outside_area")
