"""The outbox: effects whose task could not be published (the broker was down) wait here, in the database, until
the sweeper sends them (ADR 37). A request never waits for a broker that is not there: it parks what it could not
send and answers."""

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, insert
from sqlmodel import Session, col, func, select

from .clock import as_utc, now
from .effects import Effect, EffectKind
from .models import OutboxMessage

TAKE = 5_000  # messages taken from the outbox at once


def park(session: Session, effects: Sequence[Effect]) -> int:
    """Keep effects that could not be published; return how many."""
    if not effects:
        return 0
    moment = now()
    session.execute(insert(OutboxMessage), [
        {"kind": e.kind.value, "entity_id": e.entity_id, "due_at": moment + e.delay, "parked_at": moment}
        for e in effects])
    return len(effects)


def take(session: Session, limit: int = TAKE) -> list[Effect]:
    """Take the oldest parked effects out of the outbox (the caller commits, then sends them: what it cannot send
    it parks again). Two sweepers at once take different rows: the DELETE decides."""
    oldest = select(OutboxMessage.id).order_by(col(OutboxMessage.id)).limit(limit)
    moment = now()
    taken = (delete(OutboxMessage).where(col(OutboxMessage.id).in_(oldest.scalar_subquery()))
             .returning(col(OutboxMessage.kind), col(OutboxMessage.entity_id), col(OutboxMessage.due_at)))
    rows = session.execute(taken).all()
    return [Effect(EffectKind(kind), entity_id, max(as_utc(due_at) - moment, timedelta(0)))
            for kind, entity_id, due_at in rows]


def waiting(session: Session) -> int:
    """How many effects wait in the outbox."""
    return int(session.exec(select(func.count()).select_from(OutboxMessage)).one())
