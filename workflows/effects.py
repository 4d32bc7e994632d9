"""Effects: work a committed change earns (render a certificate). The domain records them on the session; the
caller's one dispatcher sends them only after the commit, so no task ever runs ahead of the row it needs."""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

PENDING = "cdht.effects.pending"  # recorded in the open transaction
READY = "cdht.effects.ready"  # committed, waiting for the dispatcher


class EffectKind(StrEnum):
    """What a committed change asks the workers to do."""

    RENDER_CERTIFICATE = "render_certificate"
    RENDER_DECISION = "render_decision"
    PREPARE_BATCH = "prepare_batch"  # a decision's ZIP and merged PDF (ADR 31)
    # E-mail to a citizen (webapp.notifications): about their application, their certificate, a password reset.
    NOTIFY_RETURNED = "notify_returned"
    NOTIFY_PROPOSED = "notify_proposed"
    NOTIFY_RECOGNISED = "notify_recognised"
    NOTIFY_CERTIFICATE = "notify_certificate"
    SEND_PASSWORD_RESET = "send_password_reset"
    NOTIFY_REGISTERED_AGAIN = "notify_registered_again"  # someone registered with the citizen's number (ADR 43)
    NOTIFY_PRIVACY = "notify_privacy"  # the answer to a request about personal data (ADR 41)


NOTIFICATIONS = frozenset({EffectKind.NOTIFY_RETURNED, EffectKind.NOTIFY_PROPOSED, EffectKind.NOTIFY_RECOGNISED,
                           EffectKind.NOTIFY_CERTIFICATE, EffectKind.SEND_PASSWORD_RESET,
                           EffectKind.NOTIFY_REGISTERED_AGAIN, EffectKind.NOTIFY_PRIVACY})


@dataclass(frozen=True)
class Effect:
    """One piece of work for after the commit: what, on which row (id only), and how long to wait first."""

    kind: EffectKind
    entity_id: str
    delay: timedelta = timedelta(0)


def emit(session: OrmSession, effect: Effect) -> None:
    """Record an effect in the session's open transaction (begun here if need be, so a rollback sees it)."""
    if not session.in_transaction():
        session.begin()
    session.info.setdefault(PENDING, []).append(effect)


def take_ready(session: OrmSession) -> list[Effect]:
    """Hand over the effects of committed transactions (each once)."""
    ready: list[Effect] = session.info.pop(READY, [])
    return ready


@event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    pending = session.info.pop(PENDING, [])
    if pending:
        session.info.setdefault(READY, []).extend(pending)


@event.listens_for(OrmSession, "after_soft_rollback")
def _rolled_back(session: OrmSession, previous: Any) -> None:
    # What was rolled back earned nothing (e.g. the chair's rehearsal of a decision). A savepoint's rollback keeps
    # the list: dropping it would lose the outer transaction's effects, while keeping one too many only sends a
    # task that finds no row to claim.
    if not previous.nested:
        session.info.pop(PENDING, None)
