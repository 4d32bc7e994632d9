"""Certificate issuance as the database sees it: claim, complete, release or fail, sweep, revoke, verify."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import insert
from sqlmodel import Session, col, select

from certificates import Storage, issued_problem, storage_key

from . import rollup_counters
from .access import visible_certificate
from .actors import SYSTEM_ACTOR, Actor
from .cccd import check as check_cccd
from .cccd import mask
from .clock import HANOI_OFFSET, now
from .db import redo_safe_commit
from .effects import Effect, EffectKind, emit
from .errors import Conflict
from .inputs import RevocationInput
from .models import AuditEvent, Certificate, Citizen, Ward
from .states import apply_event, apply_event_many
from .vocabulary import CertificateStatus, Entity, Event, Role, VerificationStatus

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"
MAX_ATTEMPTS = 5
# A row queued longer than this is presumed lost by the broker. Generous, so that a long but healthy queue
# (5,000 certificates at ~40/s is two minutes) is not sent twice.
# A render takes seconds and a batch of them well under a minute: past these, a message or a worker was lost. The
# sweeper runs every minute, so a lost message costs about five minutes (ADR 37).
QUEUED_GRACE = timedelta(minutes=5)
RENDERING_TIMEOUT = timedelta(minutes=5)


def claim(session: Session, certificate_id: str) -> Certificate | None:
    """Take a queued certificate for rendering; None if it is gone, taken or already done (safe to run twice)."""
    cert = session.get(Certificate, certificate_id)
    if cert is None or cert.status != CertificateStatus.QUEUED:
        return None
    try:
        apply_event(session, cert, Event.CLAIM, SYSTEM_ACTOR, expected_version=cert.version,
                    detail={"attempt": cert.attempts + 1}, also={"attempts": cert.attempts + 1, "claimed_at": now()})
    except Conflict:
        return None
    return cert


def claim_many(session: Session, certificate_ids: Sequence[str]) -> list[Certificate]:
    """Take those of the certificates queued for their first rendering, in one UPDATE and one audit INSERT (a worker's
    batch, ADR 32); Conflict if one of them moved between the read and the write (the caller claims one by one).
    A row tried before is left to the one-by-one path: should it be the one that kills its worker, its batch-mates
    do not spend their attempts with it.

    On PostgreSQL the read locks the rows and skips those another worker holds, so two batches never wait on each
    other.
    """
    redo_safe_commit(session)
    stmt = (select(Certificate)
            .where(col(Certificate.id).in_(list(certificate_ids)), Certificate.status == CertificateStatus.QUEUED,
                   Certificate.attempts == 0)
            .order_by(col(Certificate.id)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    certs = list(session.exec(stmt).all())
    apply_event_many(session, certs, Event.CLAIM, SYSTEM_ACTOR, also={"claimed_at": now()},
                     each={"attempts": lambda c: c.attempts + 1},
                     detail_each=lambda c: {"attempt": c.attempts + 1})
    return certs


@dataclass(frozen=True)
class Completion:
    """A claimed certificate's rendered file, as its completion records it."""

    cert: Certificate  # as claimed (merged without loading: no read before the write)
    storage_key: str
    sha256: str
    signature: str


def complete_many(session: Session, done: Sequence[Completion], *, key_id: str) -> None:
    """Mark a worker's batch issued in one UPDATE (each row fenced by its claimed version) and one audit INSERT;
    Conflict if any claim was lost meanwhile (the caller completes one by one)."""
    redo_safe_commit(session)
    by_id = {item.cert.id: item for item in done}
    apply_event_many(session, [item.cert for item in done], Event.COMPLETE, SYSTEM_ACTOR,
                     also={"key_id": key_id, "issued_at": now(), "last_error": None},
                     each={"storage_key": lambda c: by_id[c.id].storage_key, "sha256": lambda c: by_id[c.id].sha256,
                           "signature": lambda c: by_id[c.id].signature},
                     detail_each=lambda c: {"sha256": by_id[c.id].sha256, "key_id": key_id})


def complete(
    session: Session, cert: Certificate, *, claimed_version: int, storage_key: str, sha256: str, signature: str,
    key_id: str,
) -> None:
    """Mark a claimed certificate issued; Conflict if the claim was lost meanwhile (released and re-claimed).

    One UPDATE fenced by the claimed version and its audit row; `cert` may be the claim's own object, merged
    without loading (no read before the write).
    """
    apply_event(session, cert, Event.COMPLETE, SYSTEM_ACTOR, expected_version=claimed_version,
                detail={"sha256": sha256, "key_id": key_id},
                also={"storage_key": storage_key, "sha256": sha256, "signature": signature, "key_id": key_id,
                      "issued_at": now(), "last_error": None})


def give_back(
    session: Session, cert: Certificate, error: str, *, claimed_version: int | None = None,
    retry_in: timedelta = timedelta(0),
) -> bool:
    """After a failed render: back to queued for another try (True), or failed once attempts run out (False).

    `retry_in` moves queued_at ahead, so the sweeper does not resend before the task's own retry is due.
    """
    event = Event.RELEASE if cert.attempts < MAX_ATTEMPTS else Event.FAIL
    apply_event(session, cert, event, SYSTEM_ACTOR, expected_version=claimed_version,
                detail={"error": error[:300]}, effect_delay=retry_in,
                also={"last_error": error[:500], "queued_at": now() + retry_in})
    return event == Event.RELEASE


def sweep(session: Session, queued_grace: timedelta = QUEUED_GRACE) -> list[str]:
    """Find certificates a lost message or a dead worker left behind; record their render again; return the ids.

    `queued_grace` 0 re-sends every queued certificate at once (after a broker lost its messages: `flask sweep
    --now`); a certificate whose message was not lost after all is claimed once, by whichever message comes first."""
    moment = now()
    stuck = session.exec(
        select(Certificate).where(Certificate.status == CertificateStatus.RENDERING,
                                  col(Certificate.claimed_at) < moment - RENDERING_TIMEOUT)
    ).all()
    for cert in stuck:
        give_back(session, cert, "worker lost while rendering")
    waiting = session.exec(
        select(Certificate).where(Certificate.status == CertificateStatus.QUEUED,
                                  col(Certificate.queued_at) <= moment - queued_grace)
        .limit(10_000)
    ).all()
    for cert in waiting:
        cert.queued_at = moment  # space out re-sends of the same row
        session.add(cert)
        # No state changes (it stays queued), so the table earns no effect: the lost message is sent again here.
        emit(session, Effect(EffectKind.RENDER_CERTIFICATE, cert.id))
    if waiting:  # the sweeper's own acts are audited too: one statement for all of them
        session.execute(insert(AuditEvent), [
            {"at": moment, "actor_id": None, "actor_role": Role.SYSTEM.value, "entity_type": Entity.CERTIFICATE.value,
             "entity_id": cert.id, "event": Event.RESEND.value, "from_state": None, "to_state": None,
             "detail": {"queued_grace_s": int(queued_grace.total_seconds())}} for cert in waiting])
    session.flush()
    return [c.id for c in waiting] + [c.id for c in stuck if c.status == CertificateStatus.QUEUED]


def retry_failed(session: Session, actor: Actor = SYSTEM_ACTOR, decision_id: str | None = None) -> list[str]:
    """Put failed certificates back in the queue (all of them, or one decision's); return their ids.

    The operator's command after an outage runs as the system; a ward chair retries their own decision's.
    """
    stmt = select(Certificate).where(Certificate.status == CertificateStatus.FAILED)
    if decision_id is not None:
        stmt = stmt.where(Certificate.decision_id == decision_id)
    failed = session.exec(stmt).all()
    for cert in failed:
        cert.attempts = 0
        apply_event(session, cert, Event.RETRY, actor)
        cert.queued_at = now()
        session.add(cert)
    session.flush()
    return [c.id for c in failed]


def revoke(session: Session, actor: Actor, code: str, data: RevocationInput) -> Certificate:
    """Revoke an issued certificate with a reason; it stays verifiable as revoked."""
    cert = visible_certificate(session, actor, by_code(session, code))
    text = data.reason
    apply_event(session, cert, Event.REVOKE, actor, detail={"reason": text})
    cert.revoked_at = now()
    cert.revoke_reason = text
    if cert.live_key is not None:  # no longer counted: the counters move in this transaction (ADR 10, ADR 20)
        rollup_counters.add_live(session, [cert], -1)
        cert.live_key = None
    session.add(cert)
    session.flush()
    return cert


def by_code(session: Session, code: str) -> Certificate | None:
    """Find a certificate by its printed code."""
    return session.exec(select(Certificate).where(Certificate.code == code)).first()


@dataclass(frozen=True)
class Verification:
    """What the public verification page and API say about a code."""

    valid: bool
    status: VerificationStatus  # invalid: the row is not what was issued
    title: str | None = None
    year: int | None = None
    ward_name: str | None = None
    holder_name: str | None = None
    cccd_masked: str | None = None
    issued_on: str | None = None
    decision_number: str | None = None
    reason: str | None = None
    superseded_by: str | None = None  # the code of the newest certificate of its chain of reissues (ADR 28)


def tampering(session: Session, cert: Certificate, public_keys: Iterable[bytes], storage: Storage) -> str | None:
    """Return why a certificate row is not the one that was issued, or None when it is.

    The row proves nothing by itself: its snapshot and hash must carry a valid signature under a known key, the
    PDF stored where this row's year, ward and code put it must have that hash, and the unsigned columns shown
    beside the snapshot (code, year, register number, the holder's birth date) must agree with it.
    """
    snap = cert.snapshot
    if (snap.get("code"), snap.get("year"), snap.get("register_number")) != (
            cert.code, cert.year, cert.register_number):
        return "row_differs_from_snapshot"
    key = storage_key(cert.year, cert.ward_code, cert.code)
    if cert.storage_key != key:
        return "storage_key_moved"
    problem = issued_problem(storage, key=key, snapshot=snap, sha256=cert.sha256, signature=cert.signature,
                             signing_key_id=cert.key_id, public_keys=public_keys)
    if problem:
        return problem
    # The masked CCCD shown must belong to someone the signed birth date fits: the number encodes the century and the
    # year of birth, which no correction can change (ADR 28: a corrected day or month leaves the certificates
    # issued before the correction valid, printed as they were).
    citizen = session.get(Citizen, cert.citizen_id)
    born = snap.get("date_of_birth")
    if citizen is not None and (not isinstance(born, str) or _birth_disagrees(citizen.cccd, born)):
        return "holder_differs_from_snapshot"
    return None


def _birth_disagrees(number: str, born: str) -> bool:
    try:
        return check_cccd(number, date.fromisoformat(born)) is not None
    except ValueError:
        return True


MAX_CHAIN = 100  # reissues of one certificate followed at most (a chain is a handful; this bounds the walk)


def latest_successor(session: Session, cert: Certificate) -> Certificate | None:
    """The newest certificate of the chain of reissues after this one (None if it was never superseded)."""
    latest, following = None, cert.superseded_by
    for _ in range(MAX_CHAIN):
        if following is None:
            break
        latest = session.get(Certificate, following)
        following = latest.superseded_by if latest is not None else None
    return latest


# What the public is told about a certificate in each status; any other status is still on its way (pending).
SEEN_AS = {CertificateStatus.ISSUED: VerificationStatus.VALID, CertificateStatus.REVOKED: VerificationStatus.REVOKED,
           CertificateStatus.SUPERSEDED: VerificationStatus.SUPERSEDED}


def verify(session: Session, code: str, *, public_keys: Iterable[bytes], storage: Storage) -> Verification:
    """Tell anyone whether a code belongs to a valid certificate: minimal facts, the CCCD only masked.

    "Valid" needs the signature and the stored file to check out (`tampering`); a row that fails is "invalid"
    and nothing it holds is shown.
    """
    cert = by_code(session, code)
    if cert is None:
        return Verification(valid=False, status=VerificationStatus.UNKNOWN)
    status = SEEN_AS.get(CertificateStatus(cert.status), VerificationStatus.PENDING)
    if status == VerificationStatus.PENDING:
        return Verification(valid=False, status=status)  # nothing about a person until it is issued
    problem = tampering(session, cert, public_keys, storage)
    if problem:
        # The certificate's id is opaque: no name, no CCCD in the log.
        log.warning("certificate %s fails verification (%s): reported as invalid", cert.id, problem)
        return Verification(valid=False, status=VerificationStatus.INVALID)
    ward = session.get(Ward, cert.ward_code)
    citizen = session.get(Citizen, cert.citizen_id)
    snap = cert.snapshot
    return Verification(
        valid=status == VerificationStatus.VALID, status=status, title=snap.get("title"), year=cert.year,
        ward_name=ward.name if ward else None, holder_name=snap.get("holder_name"),
        cccd_masked=mask(citizen.cccd) if citizen else None,
        issued_on=issued_on(cert),
        decision_number=snap.get("decision_number"), reason=cert.revoke_reason,
        superseded_by=successor.code if (successor := latest_successor(session, cert)) else None,
    )


def issued_on(cert: Certificate) -> str | None:
    """The issue date printed on the certificate (ISO): the decision's date in its date line, not the day a worker
    happened to render it; None before issuance."""
    if cert.issued_at is None:
        return None
    printed = cert.snapshot.get("signed_on")
    return printed if isinstance(printed, str) else (cert.issued_at + HANOI_OFFSET).date().isoformat()


def certificate_for(session: Session, actor: Actor, code: str) -> Certificate:
    """Load a certificate the actor may see, or raise NotFound."""
    return visible_certificate(session, actor, by_code(session, code))


