"""A decision's certificates as one batch (ADR 31): a ZIP of its issued PDFs and one merged PDF for printing, made by
a worker, stored write-once, and asked for once per listing.

The listing is the decision's issued certificates in register order; its digest names the row and the files, so a
reissue or a late certificate makes a new batch while the old files stay as they were."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import Update, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from certificates.batch import listing_digest

from .actors import Actor
from .clock import as_utc, now
from .db import by_ids
from .decisions import visible_decision
from .effects import Effect, EffectKind, emit
from .errors import Conflict
from .models import Certificate, CertificateBatch, Decision
from .vocabulary import CertificateStatus

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"
MAX_ATTEMPTS = 5
# A batch still preparing after this long is presumed lost by the broker: the sweeper, or the next request, sends it
# again.
PREPARING_GRACE = timedelta(minutes=15)


class BatchStatus(StrEnum):
    """Where a batch's files are."""

    PREPARING = "preparing"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class Listing:
    """The decision's issued certificates now (register order) and the batch of that listing, if asked for."""

    decision: Decision
    certificates: list[Certificate]
    digest: str
    batch: CertificateBatch | None


def batch_keys(decision: Decision, digest: str) -> tuple[str, str]:
    """The storage keys of a listing's ZIP and merged PDF (write-once: one pair per decision and content)."""
    stem = f"batches/{decision.year}/{decision.ward_code}/{decision.id}/{digest}"
    return f"{stem}.zip", f"{stem}.pdf"


def _issued(session: Session, decision_id: str) -> list[Certificate]:
    return list(session.exec(select(Certificate).where(
        Certificate.decision_id == decision_id, Certificate.status == CertificateStatus.ISSUED,
    ).order_by(col(Certificate.register_number))).all())


def listing(session: Session, actor: Actor, decision_id: str) -> Listing:
    """The decision's listing and its batch; NotFound for a decision the actor may not see."""
    decision = visible_decision(session, actor, decision_id)
    certs = _issued(session, decision.id)
    digest = listing_digest([(c.register_number, c.sha256 or "") for c in certs])
    batch = session.exec(select(CertificateBatch).where(CertificateBatch.decision_id == decision.id,
                                                        CertificateBatch.digest == digest)).first()
    return Listing(decision, certs, digest, batch)


def request(session: Session, actor: Actor, decision_id: str, *,
            retry: bool = False) -> tuple[Decision, CertificateBatch]:
    """The batch of the decision's issued certificates, asked for once: a new listing is recorded `preparing` and its
    task earned (sent after the commit); one preparing for too long is sent again; a failed one only when `retry`.
    Conflict `batch_empty` when nothing is issued yet."""
    found = listing(session, actor, decision_id)
    if not found.certificates:
        raise Conflict("batch_empty")
    batch = found.batch
    if batch is None:
        zip_key, pdf_key = batch_keys(found.decision, found.digest)
        batch = CertificateBatch(decision_id=found.decision.id, digest=found.digest, count=len(found.certificates),
                                 certificate_ids=[c.id for c in found.certificates], status=BatchStatus.PREPARING,
                                 zip_key=zip_key, pdf_key=pdf_key)
        try:
            with session.begin_nested():  # two requests at once: the unique (decision, digest) keeps one row
                session.add(batch)
        except IntegrityError:
            again = listing(session, actor, decision_id).batch
            if again is None:
                raise
            return found.decision, again
        emit(session, Effect(EffectKind.PREPARE_BATCH, batch.id))
    elif batch.status == BatchStatus.PREPARING and as_utc(batch.requested_at) < now() - PREPARING_GRACE:
        batch.requested_at = now()
        session.add(batch)
        emit(session, Effect(EffectKind.PREPARE_BATCH, batch.id))
    elif batch.status == BatchStatus.FAILED and retry:
        batch.status, batch.attempts, batch.last_error, batch.requested_at = BatchStatus.PREPARING, 0, None, now()
        session.add(batch)
        emit(session, Effect(EffectKind.PREPARE_BATCH, batch.id))
    return found.decision, batch


def sweep(session: Session) -> list[str]:
    """Send again the batches preparing longer than the grace (a lost message, a worker lost); return their ids. One
    whose attempts are spent is marked failed instead (the chair's page offers to retry it)."""
    moment = now()
    stale = session.exec(select(CertificateBatch).where(
        CertificateBatch.status == BatchStatus.PREPARING,
        col(CertificateBatch.requested_at) < moment - PREPARING_GRACE)).all()
    sent = []
    for batch in stale:
        if batch.attempts >= MAX_ATTEMPTS:  # a worker died on it every time (e.g. killed for its memory): stop
            batch.status, batch.last_error = BatchStatus.FAILED, "worker lost while preparing, attempts exhausted"
            log.error("batch %s failed: its worker was lost on each of %d attempts", batch.id, batch.attempts)
        else:
            batch.requested_at = moment
            emit(session, Effect(EffectKind.PREPARE_BATCH, batch.id))
            sent.append(batch.id)
        session.add(batch)
    session.flush()
    return sent


@dataclass(frozen=True)
class Claimed:
    """What the task needs, read in the claim's transaction: files in order, the keys, the date to stamp."""

    batch_id: str
    attempt: int
    files: list[tuple[str, str, str]]  # (register number, storage key, sha256)
    zip_key: str
    pdf_key: str
    decision: Decision


def claim(session: Session, batch_id: str) -> Claimed | None:
    """Take a preparing batch for one attempt (fenced by its attempts counter); None if gone, done or taken."""
    batch = session.get(CertificateBatch, batch_id)
    if batch is None or batch.status != BatchStatus.PREPARING:
        return None
    attempt = batch.attempts + 1
    taken = session.execute(update(CertificateBatch).where(
        col(CertificateBatch.id) == batch_id, col(CertificateBatch.status) == BatchStatus.PREPARING,
        col(CertificateBatch.attempts) == batch.attempts).values(attempts=attempt))
    if getattr(taken, "rowcount", 0) != 1:
        return None
    decision = session.get(Decision, batch.decision_id)
    certs = by_ids(session, Certificate, batch.certificate_ids)
    if decision is None or len(certs) != len(batch.certificate_ids):
        raise LookupError(f"batch {batch_id} names a decision or certificates that are gone")
    files = [(certs[i].register_number, certs[i].storage_key or "", certs[i].sha256 or "")
             for i in batch.certificate_ids]
    return Claimed(batch_id, attempt, files, batch.zip_key, batch.pdf_key, decision)


def _fenced(claimed: Claimed, **values: object) -> Update:
    return update(CertificateBatch).where(
        col(CertificateBatch.id) == claimed.batch_id, col(CertificateBatch.status) == BatchStatus.PREPARING,
        col(CertificateBatch.attempts) == claimed.attempt).values(**values)


def complete(session: Session, claimed: Claimed) -> bool:
    """Mark the batch ready (its files are stored); False if the attempt was overtaken meanwhile."""
    done = session.execute(_fenced(claimed, status=BatchStatus.READY, ready_at=now(), last_error=None))
    return getattr(done, "rowcount", 0) == 1


def give_back(session: Session, claimed: Claimed, error: str, delays: tuple[int, ...]) -> str:
    """After a failed attempt: send the task again after a growing delay, or mark the batch failed after the last.

    Returns "retrying" or "failed" ("claim lost" if another attempt owns the batch)."""
    if claimed.attempt >= MAX_ATTEMPTS:
        done = session.execute(_fenced(claimed, status=BatchStatus.FAILED, last_error=error[:500]))
        return "failed" if getattr(done, "rowcount", 0) == 1 else "claim lost"
    delay = timedelta(seconds=delays[min(claimed.attempt, len(delays)) - 1])
    done = session.execute(_fenced(claimed, last_error=error[:500], requested_at=now() + delay))
    if getattr(done, "rowcount", 0) != 1:
        return "claim lost"
    emit(session, Effect(EffectKind.PREPARE_BATCH, claimed.batch_id, delay=delay))
    return "retrying"
