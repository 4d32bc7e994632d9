"""The plan's milestones as data a city administrator sets: indicator, year, value, denominator mode and the
document that sets them. A change never rewrites a milestone: the new value is a new row in force, and the one it
replaces keeps its row with when and by which it was replaced, so that what a past report was judged against can
always be shown. Each change is audited."""

from sqlmodel import Session, col, select

from .actors import Actor
from .clock import now
from .errors import Forbidden
from .inputs import TargetInput
from .models import AuditEvent, Target
from .vocabulary import Entity, Event, Role


def set_target(session: Session, actor: Actor, cmd: TargetInput) -> tuple[Target, bool]:
    """Put a milestone in force (replacing the one of that indicator and year, if any); returns it and whether
    anything changed (the same milestone again changes nothing)."""
    if actor.role not in (Role.CITY_ADMIN, Role.SYSTEM):
        raise Forbidden("role_not_allowed")
    value = cmd.percent / 100
    current = session.exec(select(Target).where(
        Target.indicator == cmd.indicator, Target.year == cmd.year, col(Target.superseded_at).is_(None))).first()
    if current is not None and (round(current.value, 6), current.denominator_mode, current.source_document) == (
            round(value, 6), cmd.denominator_mode.value, cmd.source_document):
        return current, False
    moment = now()
    target = Target(indicator=cmd.indicator.value, year=cmd.year, value=value, source_document=cmd.source_document,
                    denominator_mode=cmd.denominator_mode.value, created_at=moment, created_by=actor.user_id)
    if current is not None:
        current.superseded_at, current.superseded_by = moment, target.id
        session.flush()  # the old one leaves the unique index of milestones in force before the new one enters
    session.add(target)
    session.add(AuditEvent(at=moment, actor_id=actor.user_id, actor_role=actor.role.value,
                           entity_type=Entity.TARGET.value, entity_id=target.id, event=Event.CREATE.value,
                           detail={"indicator": cmd.indicator.value, "year": cmd.year, "value": value,
                                   "denominator_mode": cmd.denominator_mode.value,
                                   "source_document": cmd.source_document,
                                   "replaces": current.id if current is not None else None}))
    session.flush()
    return target, True


def in_force(session: Session) -> list[Target]:
    """The milestones in force, by indicator and year."""
    return list(session.exec(select(Target).where(col(Target.superseded_at).is_(None))
                             .order_by(col(Target.indicator), col(Target.year))))


def replaced(session: Session, limit: int = 50) -> list[Target]:
    """Milestones replaced by a later value, the most recently replaced first."""
    return list(session.exec(select(Target).where(col(Target.superseded_at).is_not(None))
                             .order_by(col(Target.superseded_at).desc()).limit(limit)))
