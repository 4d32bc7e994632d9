"""Records of digital skills that a person checks (ADR 17): a citizen's certificate of a course, sent with its file,
and a supervised assessment on paper recorded by the ward's staff or a community learning centre's.

Both wait in the ward reviewer's queue, their own kind of item beside the applications, oldest first, until the
reviewer verifies them (at the level they read on the certificate; whether it counts is then decided by the
framework's rule) or rejects them with a reason the citizen sees. An assessment recorded by a ward reviewer is verified
in the same transaction: the ward's official supervised it. Every change goes through the state table, audited, and
moves the digital counters in the same transaction.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from .. import cccd as cccd_rules
from ..actors import WARD_STAFF, Actor
from ..clock import as_utc, now, today
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..inputs import AssessmentInput, AttainmentReviewInput, CertificateInput
from ..models import Citizen, DigitalAttainment
from ..models.digital import TO_REVIEW
from ..review_queue import Cursor
from ..states import apply_event
from ..vocabulary import AttainmentKind, AttainmentState, Event, Role
from . import attainments, frameworks

PAGE_SIZE = 25
EARLIEST = date(2000, 1, 1)  # no digital-skills record of interest is older
RECORDERS = (Role.WARD_REVIEWER, Role.CENTRE_STAFF)
LIVE = (AttainmentState.PENDING.value, AttainmentState.VERIFIED.value)
REVIEWED = (AttainmentKind.CERTIFICATE.value, AttainmentKind.ASSESSMENT.value)  # what a reviewer verifies
# A paper's number, kept apart from the ids training platforms give their imports (the same column).
PAPER = "paper:"


def _check_date(achieved_on: date) -> None:
    if achieved_on > today():
        raise Invalid(fields={"achieved_on": "date_in_future"})
    if achieved_on < EARLIEST:
        raise Invalid(fields={"achieved_on": "date_out_of_range"})


def submit_certificate(session: Session, actor: Actor, cmd: CertificateInput,
                       evidence_key: str | None) -> DigitalAttainment:
    """A citizen sends a course certificate with its file (checked by content by the caller): pending review.

    The same file sent again while the first is pending or verified is refused (field `evidence`).
    """
    if actor.role != Role.CITIZEN or actor.citizen_id is None:
        raise NotFound()
    if evidence_key is None:
        raise Invalid(fields={"evidence": "file_required"})
    _check_date(cmd.achieved_on)
    citizen = session.get(Citizen, actor.citizen_id)
    if citizen is None:
        raise NotFound()
    twin = session.exec(select(DigitalAttainment.id).where(
        DigitalAttainment.citizen_id == citizen.id, DigitalAttainment.evidence_key == evidence_key,
        col(DigitalAttainment.state).in_(LIVE))).first()
    if twin is not None:
        raise Invalid(fields={"evidence": "certificate_already_sent"})
    return attainments.record(session, actor, citizen, AttainmentKind.CERTIFICATE, cmd.achieved_on, cmd.issuer,
                              course=cmd.course, evidence_key=evidence_key)


def record_assessment(session: Session, actor: Actor, cmd: AssessmentInput) -> DigitalAttainment:
    """Staff record a citizen's supervised assessment: a citizen of their own ward, found by CCCD.

    A ward reviewer's record is verified at once; a learning centre's waits for the ward reviewer.
    """
    if actor.role not in RECORDERS or actor.ward_code is None:
        raise Forbidden("role_not_allowed")
    number = cccd_rules.clean(cmd.cccd)
    problem = cccd_rules.check(number)
    if problem:
        raise Invalid(fields={"cccd": problem})
    _check_date(cmd.achieved_on)
    framework = frameworks.get(frameworks.BASIC_FRAMEWORK)
    if cmd.level > framework.levels:
        raise Invalid(fields={"level": "out_of_range"})
    citizen = session.exec(select(Citizen).where(Citizen.cccd == number)).first()
    if citizen is None or citizen.ward_code != actor.ward_code:
        raise Invalid(fields={"cccd": "citizen_not_in_ward"})  # the same answer for both: no one learns of others
    if actor.citizen_id == citizen.id:
        raise Invalid(fields={"cccd": "own_record"})
    a = DigitalAttainment
    paper = f"{PAPER}{cmd.reference}" if cmd.reference else None
    if paper and session.exec(select(a.id).where(
            a.ward_code == actor.ward_code, a.kind == AttainmentKind.ASSESSMENT, a.external_id == paper,
            col(a.state).in_(LIVE))).first():
        raise Invalid(fields={"reference": "reference_used"})
    if session.exec(select(a.id).where(a.citizen_id == citizen.id, a.kind == AttainmentKind.ASSESSMENT,
                                       a.achieved_on == cmd.achieved_on, col(a.state).in_(LIVE))).first():
        raise Invalid(fields={"achieved_on": "assessment_same_day"})
    attainment = attainments.record(session, actor, citizen, AttainmentKind.ASSESSMENT, cmd.achieved_on, cmd.centre,
                                    level=cmd.level, external_id=paper)
    if actor.role == Role.WARD_REVIEWER:
        apply_event(session, attainment, Event.VERIFY, actor, detail={"level": cmd.level},
                    also={"verified_by": actor.user_id, "verified_at": now()})
    return attainment


def visible(session: Session, actor: Actor, attainment_id: str) -> DigitalAttainment:
    """An attainment its holder, its ward's officials, the centre staff who recorded it, or a city administrator may
    see; NotFound for anyone else."""
    found = session.get(DigitalAttainment, attainment_id)
    if found is None:
        raise NotFound()
    if actor.role == Role.CITY_ADMIN or (actor.citizen_id is not None and actor.citizen_id == found.citizen_id):
        return found
    if actor.role in WARD_STAFF and actor.ward_code == found.ward_code:
        return found
    if actor.role == Role.CENTRE_STAFF and found.recorded_by == actor.user_id:
        return found
    raise NotFound()


def review(session: Session, actor: Actor, attainment_id: str, cmd: AttainmentReviewInput) -> DigitalAttainment:
    """Verify (at a level: the certificate's, or the one the assessment recorded) or reject with a reason."""
    attainment = visible(session, actor, attainment_id)
    if attainment.kind not in REVIEWED:  # tests and imports are born verified; a self-assessment never is
        raise Conflict("invalid_transition", state=attainment.state, event=cmd.action.value)
    moment = now()
    if cmd.action == Event.VERIFY:
        level = cmd.level if cmd.level is not None else attainment.level
        framework = frameworks.get(attainment.framework_id)
        if level is None:
            raise Invalid(fields={"level": "required"})
        if level > framework.levels:
            raise Invalid(fields={"level": "out_of_range"})
        counts = attainments.counts(framework, AttainmentKind(attainment.kind), level=level)
        apply_event(session, attainment, Event.VERIFY, actor, expected_version=cmd.version, detail={"level": level},
                    also={"level": level, "counts": counts, "verified_by": actor.user_id, "verified_at": moment})
    else:
        if not cmd.reason:
            raise Invalid(fields={"reason": "reason_required"})
        apply_event(session, attainment, Event.DECLINE, actor, expected_version=cmd.version,
                    detail={"reason": cmd.reason},
                    also={"reason": cmd.reason, "verified_by": actor.user_id, "verified_at": moment})
    return attainment


@dataclass(frozen=True)
class PendingRow:
    """One record waiting in a ward's queue."""

    id: str
    kind: AttainmentKind
    version: int
    citizen_name: str
    cccd_masked: str
    course: str | None
    source: str
    level: int | None
    achieved_on: date
    created_at: Any


@dataclass(frozen=True)
class PendingPage:
    """A page of a ward's records waiting for review, how many wait in all, and the cursor of the next page."""

    rows: list[PendingRow]
    total: int
    after: Cursor | None


def _to_review(actor: Actor) -> list[Any]:
    """The records of the actor's ward waiting for a reviewer (the predicate of their partial index, models.TO_REVIEW),
    but for the reviewer's own: a reviewer who is also a citizen of the ward never verifies their own record."""
    where = [col(DigitalAttainment.ward_code) == actor.ward_code, TO_REVIEW]
    if actor.citizen_id is not None:
        where.append(col(DigitalAttainment.citizen_id) != actor.citizen_id)
    return where


def pending_count(session: Session, actor: Actor) -> int:
    """How many records of the actor's ward wait for them (a count over the partial index of them)."""
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        return 0
    return session.exec(select(func.count()).select_from(DigitalAttainment).where(*_to_review(actor))).one()


def next_to_verify(session: Session, actor: Actor) -> str | None:
    """The oldest record of the actor's ward waiting for them (what a reviewer opens after a verdict), or None: one
    seek on the partial index, no count."""
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        return None
    a = DigitalAttainment
    return session.exec(select(a.id).where(*_to_review(actor)).order_by(col(a.created_at), col(a.id))
                        .limit(1)).first()


def pending(session: Session, actor: Actor, *, after: Cursor | None = None,
            page_size: int = PAGE_SIZE) -> PendingPage:
    """The ward's records waiting for review, oldest first, a page after the cursor; other wards never show."""
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        raise NotFound()
    a = DigitalAttainment
    where = _to_review(actor)
    if after is not None:
        where.append(tuple_(col(a.created_at), col(a.id)) > tuple_(after.submitted_at, after.id))
    found = session.execute(
        sa_select(col(a.id), col(a.kind), col(a.version), col(Citizen.full_name), col(Citizen.cccd), col(a.course),
                  col(a.source), col(a.level), col(a.achieved_on), col(a.created_at))
        .join(Citizen, col(Citizen.id) == col(a.citizen_id)).where(*where)
        .order_by(col(a.created_at), col(a.id)).limit(page_size + 1)).all()
    rows = [PendingRow(id=i, kind=AttainmentKind(k), version=v, citizen_name=name, cccd_masked=cccd_rules.mask(n),
                       course=course, source=source, level=level, achieved_on=on, created_at=at)
            for i, k, v, name, n, course, source, level, on, at in found]
    more = len(rows) > page_size
    rows = rows[:page_size]
    last = rows[-1] if rows and more else None
    return PendingPage(rows=rows, total=pending_count(session, actor),
                       after=Cursor(as_utc(last.created_at), last.id) if last else None)



@dataclass(frozen=True)
class RecordedRow:
    """An assessment someone recorded, as their own list shows it."""

    id: str
    citizen_name: str
    cccd_masked: str
    level: int | None
    achieved_on: date
    source: str
    state: AttainmentState
    created_at: Any


def recorded_by(session: Session, actor: Actor, limit: int = PAGE_SIZE) -> list[RecordedRow]:
    """The assessments the actor recorded, newest first (their own work, whatever has become of it since)."""
    if actor.role not in RECORDERS or actor.user_id is None:
        raise NotFound()
    a = DigitalAttainment
    found = session.execute(
        sa_select(col(a.id), col(Citizen.full_name), col(Citizen.cccd), col(a.level), col(a.achieved_on),
                  col(a.source), col(a.state), col(a.created_at))
        .join(Citizen, col(Citizen.id) == col(a.citizen_id))
        .where(col(a.recorded_by) == actor.user_id, col(a.kind) == AttainmentKind.ASSESSMENT)
        .order_by(col(a.created_at).desc(), col(a.id).desc()).limit(limit)).all()
    return [RecordedRow(id=i, citizen_name=name, cccd_masked=cccd_rules.mask(n), level=level, achieved_on=on,
                        source=source, state=AttainmentState(state), created_at=at)
            for i, name, n, level, on, source, state, at in found]
