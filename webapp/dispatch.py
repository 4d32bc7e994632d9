"""The one way work leaves a transaction: commit, then send the effects the domain recorded; never before.

A send that fails (broker down) loses nothing and keeps no one waiting: the effect is parked in the outbox table
and the sweeper sends it when the broker is back (ADR 37). After a failure the web process stops trying the broker
for BROKER_PAUSE, so that no request waits on a broker known to be down.
"""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflows import outbox
from workflows.db import session_scope
from workflows.effects import NOTIFICATIONS, Effect, EffectKind, take_ready

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"

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
BROKER_PAUSE = 15.0  # seconds this process leaves a broker alone after it failed


class _Breaker:
    """Remembers, per process, that the broker just failed: until the pause is over, sends are parked at once."""

    def __init__(self) -> None:
        self._closed_from = 0.0
        self._lock = threading.Lock()

    def allows(self) -> bool:
        return time.monotonic() >= self._closed_from

    def trip(self) -> None:
        with self._lock:
            if self.allows():
                log.warning("broker unavailable: tasks are parked in the outbox for %.0f s", BROKER_PAUSE)
            self._closed_from = time.monotonic() + BROKER_PAUSE

    def reset(self) -> None:
        self._closed_from = 0.0


breaker = _Breaker()


class _Sender:
    """Hands messages to the broker, each once, without Celery's retries. After one failure it tries no more (what
    follows is parked at once); in a request, neither while the web process's pause runs. A worker or a command,
    which keep no one waiting, try again on their next call: a worker that received a message knows the broker is
    back."""

    def __init__(self) -> None:
        self.failed = has_request_context() and not breaker.allows()

    def publish(self, task: Any, args: tuple[Any, ...], countdown: float | None = None) -> bool:
        if self.failed:
            return False
        try:
            task.apply_async(args, countdown=countdown, retry=False)
        except Exception:  # noqa: BLE001 - whatever the transport raises, the effect is parked, not lost
            self.failed = True
            breaker.trip()
            return False
        return True


def send(effects: list[Effect]) -> int:
    """Send committed effects as tasks (fanned out by a worker when many); park what the broker did not take;
    return how many were handed over."""
    now_due = [e for e in effects if not e.delay]
    if len(now_due) <= FAN_OUT_OVER:
        return send_each(effects)
    sent = send_each([e for e in effects if e.delay])
    by_kind: dict[EffectKind, list[str]] = {}
    for effect in now_due:
        by_kind.setdefault(effect.kind, []).append(effect.entity_id)
    fan_out, sender = _celery().tasks[FAN_OUT], _Sender()
    unsent: list[Effect] = []
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            if sender.publish(fan_out, (kind.value, chunk)):
                sent += len(chunk)
            else:
                unsent.extend(Effect(kind, entity_id) for entity_id in chunk)
    _park(unsent)
    return sent


def send_each(effects: list[Effect]) -> int:
    """Send one task per effect; park what the broker did not take; return how many reached it."""
    celery, sender = _celery(), _Sender()
    unsent = []
    for effect in effects:
        task = celery.tasks[TASKS[effect.kind]]
        args = (effect.entity_id, effect.kind.value) if effect.kind in NOTIFICATIONS else (effect.entity_id,)
        if not sender.publish(task, args, countdown=effect.delay.total_seconds() or None):
            unsent.append(effect)
    _park(unsent)
    return len(effects) - len(unsent)


def send_render_batches(ids: list[str]) -> int:
    """Send certificate renders RENDER_BATCH ids a message; park what the broker did not take; return how many
    certificates reached it."""
    task, sender = _celery().tasks[RENDER_BATCH_TASK], _Sender()
    unsent: list[Effect] = []
    for start in range(0, len(ids), RENDER_BATCH):
        batch = ids[start:start + RENDER_BATCH]
        if not sender.publish(task, (batch,)):
            unsent.extend(Effect(EffectKind.RENDER_CERTIFICATE, entity_id) for entity_id in batch)
    _park(unsent)
    return len(ids) - len(unsent)


def _park(effects: list[Effect]) -> None:
    """Keep in the outbox what could not be published, in a transaction of its own."""
    if not effects:
        return
    try:
        with session_scope(current_app.extensions["cdht"].engine) as session:
            outbox.park(session, effects)
    except Exception:  # the database is down too: what state scans find (certificates, documents) is swept later
        log.exception("%d effects could be neither published nor parked", len(effects))
        return
    log.warning("%d effects parked in the outbox until the broker is back", len(effects))


def drain_outbox(engine: Engine) -> tuple[int, int]:
    """Send what waits in the outbox (the sweeper's first step); return (sent, still waiting)."""
    sent = 0
    while True:
        with session_scope(engine) as session:
            effects = outbox.take(session)
        if not effects:
            break
        handed = send(effects)  # what fails now is parked again
        sent += handed
        if handed < len(effects) or len(effects) < outbox.TAKE:
            break
    with session_scope(engine) as session:
        return sent, outbox.waiting(session)


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
