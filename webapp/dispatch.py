"""The one way work leaves a transaction: commit, then send the effects the domain recorded; never before.

A send that fails (broker down) loses nothing: the row is in the database and the sweeper sends it again.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app
from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflows.db import session_scope
from workflows.effects import NOTIFICATIONS, Effect, EffectKind, take_ready

log = logging.getLogger(__name__)

# Each kind of effect is carried out by one Celery task (ids only in the message).
NOTIFY = "cdht.notify"  # one task for every e-mail: (the row's id, what about)
TASKS = {EffectKind.RENDER_CERTIFICATE: "cdht.render_certificate",
         EffectKind.RENDER_DECISION: "cdht.render_decision_document", EffectKind.PREPARE_BATCH: "cdht.prepare_batch",
         **dict.fromkeys(NOTIFICATIONS, NOTIFY)}
FAN_OUT = "cdht.fan_out"
# Past this many effects at once (a decision of thousands), a request sends a few fan-out messages of CHUNK ids
# each and a worker sends the individual tasks: the request makes no broker round trip per certificate.
FAN_OUT_OVER = 20
CHUNK = 500
# A fan-out sends certificate renders in batches this size: one claim and one completion a batch, not a certificate
# (ADR 32). Small, so that the pool's processes share a decision evenly and a killed one redoes little.
RENDER_BATCH = 10
RENDER_BATCH_TASK = "cdht.render_certificates"


def send(effects: list[Effect]) -> int:
    """Send committed effects as tasks (fanned out by a worker when many); return how many were handed over."""
    now_due = [e for e in effects if not e.delay]
    if len(now_due) <= FAN_OUT_OVER:
        return send_each(effects)
    sent = send_each([e for e in effects if e.delay])
    by_kind: dict[EffectKind, list[str]] = {}
    for effect in now_due:
        by_kind.setdefault(effect.kind, []).append(effect.entity_id)
    fan_out = _celery().tasks[FAN_OUT]
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            try:
                fan_out.apply_async((kind.value, chunk))
                sent += len(chunk)
            except Exception:  # noqa: BLE001 - the rows are in the database; the sweeper will send them again
                log.warning("broker unavailable; %d %s left for the sweeper", len(chunk), kind)
    return sent


def send_each(effects: list[Effect]) -> int:
    """Send one task per effect; return how many reached the broker."""
    celery = _celery()
    sent = 0
    for effect in effects:
        task = celery.tasks[TASKS[effect.kind]]
        try:
            args = (effect.entity_id, effect.kind.value) if effect.kind in NOTIFICATIONS else (effect.entity_id,)
            task.apply_async(args, countdown=effect.delay.total_seconds() or None)
            sent += 1
        except Exception:  # noqa: BLE001 - the row is in the database; the sweeper will send it again
            log.warning("broker unavailable; %s %s left for the sweeper", effect.kind, effect.entity_id)
    return sent


def send_render_batches(ids: list[str]) -> int:
    """Send certificate renders RENDER_BATCH ids a message; return how many certificates reached the broker."""
    task = _celery().tasks[RENDER_BATCH_TASK]
    sent = 0
    for start in range(0, len(ids), RENDER_BATCH):
        batch = ids[start:start + RENDER_BATCH]
        try:
            task.apply_async((batch,))
            sent += len(batch)
        except Exception:  # noqa: BLE001 - the rows are in the database; the sweeper will send them again
            log.warning("broker unavailable; %d certificate renders left for the sweeper", len(batch))
    return sent


def _celery() -> Any:
    # The tasks bound to this app's own Celery instance (not the process-wide default), so each app's
    # settings (broker, eager mode in tests) apply.
    return current_app.extensions["celery"]


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
