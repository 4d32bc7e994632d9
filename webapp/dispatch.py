"""The one way work leaves a transaction: commit, then send the effects the domain recorded; never before.

A send that fails (broker down) loses nothing: the row is in the database and the sweeper sends it again.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflows.db import session_scope
from workflows.effects import Effect, EffectKind, take_ready

log = logging.getLogger(__name__)

# Each kind of effect is carried out by one Celery task (ids only in the message).
TASKS = {EffectKind.RENDER_CERTIFICATE: "cdht.render_certificate"}


def send(effects: list[Effect]) -> int:
    """Send committed effects as tasks; return how many reached the broker."""
    # The task bound to this app's own Celery instance (not the process-wide default), so each app's
    # settings (broker, eager mode in tests) apply.
    celery = current_app.extensions["celery"]
    sent = 0
    for effect in effects:
        task = celery.tasks[TASKS[effect.kind]]
        try:
            task.apply_async((effect.entity_id,), countdown=effect.delay.total_seconds() or None)
            sent += 1
        except Exception:  # noqa: BLE001 - the row is in the database; the sweeper will send it again
            log.warning("broker unavailable; %s %s left for the sweeper", effect.kind, effect.entity_id)
    return sent


def commit(session: Session) -> int:
    """Commit the request's transaction, then send what it earned; return how many tasks were sent."""
    session.commit()
    return send(take_ready(session))


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session for a task or a command: commit on success (then send its effects), roll back on error."""
    with session_scope(engine) as session:
        yield session
    send(take_ready(session))
