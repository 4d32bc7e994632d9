"""The decision document: queued with the decision, rendered and stored write-once by a worker (ADR 30).

The data is read by the worker right after the decision commits; the file, once stored, never changes (a later
correction of a name reissues a certificate, not the decision, whose list stays as signed).
"""

import logging
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from certificates.decision import DecisionData, ListedCitizen, decision_storage_key

from .actors import SYSTEM_ACTOR, Actor
from .clock import now
from .effects import Effect, EffectKind, emit
from .errors import Conflict, NotFound
from .models import Application, Certificate, Citizen, Decision, Ward
from .signers import ward_signer
from .states import record_change
from .vocabulary import Entity, Event, Role, Sex, TargetGroup, TitleType

QUEUED, ISSUED = "queued", "issued"
SEXES = {Sex.MALE: "Nam", Sex.FEMALE: "Nữ"}
# The target groups as QĐ 324/QĐ-KHVN names them.
TARGET_GROUPS = {TargetGroup.RESIDENT: "Người dân", TargetGroup.WORKER: "Người lao động",
                 TargetGroup.STAFF: "Cán bộ, công nhân viên, doanh nhân",
                 TargetGroup.LEARNER: "Học sinh, sinh viên, học viên"}


# A document still queued after this long is presumed lost by the broker: the sweeper sends its render again (at
# most once a grace, so that a document that cannot be rendered is not sent every minute).
QUEUED_GRACE = timedelta(minutes=15)
MAX_RESENDS = 5
log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"


def queue(session: Session, decision: Decision) -> None:
    """Earn the render of a decision written with its document `queued` (the task is sent after the commit)."""
    emit(session, Effect(EffectKind.RENDER_DECISION, decision.id))


def sweep(session: Session) -> list[str]:
    """Send again the renders of documents queued longer than the grace (a lost message, a worker lost); return
    their decisions. After MAX_RESENDS the sweeper stops and says so in the log (a document that kills its worker
    each time needs an operator, not a sixth try)."""
    moment = now()
    stale = session.exec(select(Decision).where(
        Decision.document_status == QUEUED, col(Decision.document_resends) < MAX_RESENDS,
        func.coalesce(col(Decision.document_queued_at), col(Decision.created_at)) < moment - QUEUED_GRACE)).all()
    for decision in stale:
        decision.document_queued_at, decision.document_resends = moment, decision.document_resends + 1
        session.add(decision)
        queue(session, decision)
        record_change(session, SYSTEM_ACTOR, Entity.DECISION, decision.id,
                      {"document": "resend", "resends": decision.document_resends}, event=Event.RESEND)
        if decision.document_resends == MAX_RESENDS:
            log.error("decision %s: its document is sent for the last time (%d re-sends); the sweeper stops here",
                      decision.id, MAX_RESENDS)
    session.flush()
    return [d.id for d in stale]


def document_data(session: Session, decision: Decision) -> DecisionData:
    """What the document prints: the ward's signer and the decision's first certificates in register order."""
    from .decisions import CERTIFICATE_TITLES  # decisions imports this module

    ward = session.get(Ward, decision.ward_code)
    if ward is None:
        raise NotFound()
    rows = session.exec(
        select(Certificate, Citizen, Application)
        .join(Citizen, col(Citizen.id) == col(Certificate.citizen_id))
        .join(Application, col(Application.id) == col(Certificate.application_id))
        .where(Certificate.decision_id == decision.id, col(Certificate.supersedes).is_(None))
        .order_by(col(Certificate.register_number))
    ).all()
    listed = tuple(
        ListedCitizen(full_name=str(cert.snapshot["holder_name"]), date_of_birth=citizen.date_of_birth,
                      sex=SEXES[Sex(citizen.sex)], hamlet=citizen.hamlet or "",
                      target_group=TARGET_GROUPS[TargetGroup(app.target_group)],
                      register_number=cert.register_number)
        for cert, citizen, app in rows)
    title_type = rows[0][0].title_type if rows else TitleType.CDHT
    signer = ward_signer(ward)
    return DecisionData(number=decision.number, year=decision.year, title=CERTIFICATE_TITLES[TitleType(title_type)],
                        signed_on=decision.signed_on, issuer_name=signer.issuer_name, unit=signer.unit,
                        place=signer.place, authority=signer.authority, signing_line=signer.signing_line,
                        signer_title=signer.signer_title, signer_name=decision.signer_name, citizens=listed)


def storage_key_of(decision: Decision) -> str:
    """Where the decision's PDF is stored."""
    return decision_storage_key(decision.year, decision.ward_code, decision.id)


def complete(session: Session, decision: Decision, key: str, sha256: str) -> None:
    """Record the stored document (a second completion with the same file changes nothing)."""
    decision.document_status, decision.document_key, decision.document_sha256 = ISSUED, key, sha256
    session.add(decision)


def document_for(session: Session, actor: Actor, decision_id: str) -> Decision:
    """The decision whose stored document the actor may download (its ward's staff, a city administrator).

    409 `decision_document_not_ready` while it is being prepared; another ward's decision is not found.
    """
    decision = session.get(Decision, decision_id)
    if decision is None or not (actor.role == Role.CITY_ADMIN
                                or (actor.is_ward_staff and actor.ward_code == decision.ward_code)):
        raise NotFound()
    if decision.document_status != ISSUED or decision.document_key is None:
        raise Conflict("decision_document_not_ready")
    return decision
