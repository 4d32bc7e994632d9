"""The ward chair's recognition decision: in one transaction it recognises applications and queues certificates."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from . import decision_documents, issuance, register_numbers, rollup_counters
from .access import visible_applications
from .actors import Actor
from .clock import today
from .db import by_ids
from .errors import Conflict, Forbidden, Invalid, NotFound
from .inputs import DecisionInput
from .models import Application, Certificate, Citizen, Decision, Ward
from .signers import ward_signer
from .states import apply_event_many, initial_state, record_change, record_creation_many, require_role
from .vocabulary import ApplicationState, CertificateStatus, Entity, Event, Role, Sex, TitleType

CERTIFICATE_TITLES = {TitleType.CDHT: "Công dân học tập"}  # printed on the certificate as the law names it
HONORIFICS = {Sex.MALE: "Ông", Sex.FEMALE: "Bà"}  # never "Ông/Bà": the recorded sex decides


def may_decide(actor: Actor) -> None:
    """Forbidden unless the table lets the actor's role recognise (checked before the decision is read)."""
    require_role(actor, Entity.APPLICATION, Event.RECOGNISE)


def record_decision(
    session: Session, actor: Actor, data: DecisionInput, *, new_code: Callable[[], str],
    verify_url: Callable[[str], str],
) -> tuple[Decision, list[Certificate]]:
    """Record the decision, recognise each approved application and write its certificate row as queued."""
    require_role(actor, Entity.APPLICATION, Event.RECOGNISE)
    if actor.ward_code is None:
        raise Forbidden("role_not_allowed")
    year, number, signed_on, signer_name, ids = (data.year, data.number, data.signed_on, data.signer_name,
                                                 data.application_ids)
    errors: dict[str, str] = {}
    if signed_on > today():
        errors["signed_on"] = "date_in_future"
    elif signed_on.year < year:  # a decision recognises a year that has begun: it cannot be signed before it
        errors["signed_on"] = "signed_before_year"
    if errors:
        raise Invalid(fields=errors, year=year)  # the year fills "before its year begins (1 January …)"
    apps = visible_applications(session, actor, ids)  # another ward's id: NotFound
    approved = ApplicationState.APPROVED
    bad = {f"application_ids.{a.id}": "not_approved" for a in apps if a.state != approved}
    bad |= {f"application_ids.{a.id}": "wrong_year" for a in apps if a.year != year and a.state == approved}
    if bad:
        raise Invalid("applications_not_eligible", fields=bad)
    # Decision numbers restart every calendar year (Nghị định 30/2020): unique per ward and year of signing.
    if session.exec(select(Decision.id).where(Decision.ward_code == actor.ward_code,
                                              Decision.number_year == signed_on.year,
                                              Decision.number == number)).first():
        raise Conflict("decision_exists", fields={"number": "decision_exists"}, year=signed_on.year)
    ward = session.get(Ward, actor.ward_code)
    if ward is None:
        raise NotFound()
    decision = Decision(ward_code=ward.code, year=year, number=number, number_year=signed_on.year,
                        signed_on=signed_on, signer_name=signer_name, created_by=actor.user_id or "",
                        document_status=decision_documents.QUEUED)  # set before the insert: no UPDATE later
    session.add(decision)
    session.flush()
    record_change(session, actor, Entity.DECISION, decision.id, {
        "ward_code": ward.code, "year": year, "number": number, "signed_on": signed_on.isoformat(),
        "signer_name": signer_name, "applications": len(apps)}, event=Event.CREATE)
    first = register_numbers.take(session, ward.code, year, len(apps))
    # In bulk: a decision may recognise thousands, so no statement per application.
    apply_event_many(session, apps, Event.RECOGNISE, actor, detail={"decision_id": decision.id},
                     also={"decision_id": decision.id})
    citizens = by_ids(session, Citizen, [a.citizen_id for a in apps])
    certificates = [
        _queue_certificate(session, actor, app, citizens[app.citizen_id], decision, ward, first + n, new_code,
                           verify_url)
        for n, app in enumerate(apps)
    ]
    session.flush()
    record_creation_many(session, certificates, actor, {"decision_id": decision.id})
    rollup_counters.add_decided(session, certificates, {a.id: a for a in apps}, citizens, decision)
    decision_documents.queue(session, decision)  # its PDF is rendered by a worker after the commit (ADR 30)
    return decision, certificates




def _queue_certificate(
    session: Session, actor: Actor, app: Application, citizen: Citizen, decision: Decision, ward: Ward, seq: int,
    new_code: Callable[[], str], verify_url: Callable[[str], str],
) -> Certificate:
    code = new_code()
    register_number = register_numbers.register_number(ward.code, app.year, seq)
    title = CERTIFICATE_TITLES[TitleType(app.title_type)]
    signer = ward_signer(ward)
    snapshot = {
        "code": code,
        "register_number": register_number,
        "title": title,
        "year": app.year,
        "holder_name": citizen.full_name,
        "date_of_birth": citizen.date_of_birth.isoformat(),
        "honorific": HONORIFICS[Sex(citizen.sex)],
        "residence": signer.residence,
        "issuer_name": signer.issuer_name,
        "issuer_display": signer.unit,
        "authority": signer.authority,
        "decision_number": decision.number,
        "decision_date": decision.signed_on.isoformat(),
        "place": signer.place,
        "signed_on": decision.signed_on.isoformat(),
        "signing_line": signer.signing_line,
        "signer_title": signer.signer_title,
        "signer_name": decision.signer_name,
        "verify_url": verify_url(code),
    }
    cert = Certificate(
        code=code, register_number=register_number, application_id=app.id, citizen_id=citizen.id,
        decision_id=decision.id, ward_code=ward.code, title_type=app.title_type, year=app.year,
        status=initial_state(Entity.CERTIFICATE),
        live_key=f"{citizen.id}:{app.title_type}:{app.year}", snapshot=snapshot,
    )
    session.add(cert)  # written with the others in one batched flush
    return cert


def visible_decision(session: Session, actor: Actor, decision_id: str) -> Decision:
    """A decision its ward's staff or a city administrator may see; NotFound for anyone else (another ward's)."""
    decision = session.get(Decision, decision_id)
    if decision is None or not (actor.role == Role.CITY_ADMIN
                                or (actor.is_ward_staff and actor.ward_code == decision.ward_code)):
        raise NotFound()
    return decision


def decision_progress(session: Session, actor: Actor, decision_id: str) -> tuple[Decision, dict[str, int]]:
    """Return a decision the actor may see with its certificates counted by status."""
    decision = visible_decision(session, actor, decision_id)
    rows = session.exec(
        select(Certificate.status, func.count()).where(Certificate.decision_id == decision.id)
        .group_by(col(Certificate.status))
    ).all()
    counts = {CertificateStatus(status): int(n) for status, n in rows}
    c = CertificateStatus
    # A superseded certificate is replaced by its reissue (ADR 28), which counts in its place.
    return decision, {"total": sum(counts.values()) - counts.get(c.SUPERSEDED, 0), "issued": counts.get(c.ISSUED, 0),
                      "failed": counts.get(c.FAILED, 0),
                      "queued": counts.get(c.QUEUED, 0) + counts.get(c.RENDERING, 0),
                      "superseded": counts.get(c.SUPERSEDED, 0)}


def approved_in_ward(session: Session, actor: Actor, year: int) -> list[tuple[Application, Citizen]]:
    """List the approved, not yet recognised applications of the chair's ward for a year."""
    if actor.ward_code is None:
        return []
    stmt = select(Application, Citizen).join(Citizen, col(Citizen.id) == col(Application.citizen_id)).where(
        Application.ward_code == actor.ward_code, Application.year == year,
        Application.state == ApplicationState.APPROVED,
    ).order_by(col(Citizen.name_folded))
    return [(a, c) for a, c in session.exec(stmt).all()]


def retry_failed(session: Session, actor: Actor, decision_id: str) -> list[str]:
    """Queue a decision's failed certificates again (its ward's chair or an admin); another ward's is not found."""
    decision_progress(session, actor, decision_id)
    require_role(actor, Entity.CERTIFICATE, Event.RETRY)  # who first: a reviewer is refused even with none failed
    return issuance.retry_failed(session, actor, decision_id)


@dataclass(frozen=True)
class DecisionRow:
    """A past decision in the ward's list, with its certificates counted (superseded ones left out)."""

    id: str
    number: str
    year: int
    signed_on: date
    signer_name: str
    document_status: str | None
    total: int
    issued: int
    failed: int


DECISIONS_SHOWN = 50


def ward_decisions(session: Session, actor: Actor, year: int) -> list[DecisionRow]:
    """The ward's decisions recognising a year, newest first (a ward signs a few a year), each with its certificates
    counted in one grouped statement over the page's decisions."""
    if actor.ward_code is None:
        return []
    found = session.exec(select(Decision).where(Decision.ward_code == actor.ward_code, Decision.year == year)
                         .order_by(col(Decision.signed_on).desc(), col(Decision.created_at).desc())
                         .limit(DECISIONS_SHOWN)).all()
    counts: dict[str, dict[str, int]] = {d.id: {} for d in found}
    if found:
        for decision_id, status, n in session.exec(
                select(Certificate.decision_id, Certificate.status, func.count())
                .where(col(Certificate.decision_id).in_(list(counts)))
                .group_by(col(Certificate.decision_id), col(Certificate.status))).all():
            counts[decision_id][status] = int(n)
    c = CertificateStatus
    return [DecisionRow(id=d.id, number=d.number, year=d.year, signed_on=d.signed_on, signer_name=d.signer_name,
                        document_status=d.document_status,
                        total=sum(counts[d.id].values()) - counts[d.id].get(c.SUPERSEDED, 0),
                        issued=counts[d.id].get(c.ISSUED, 0), failed=counts[d.id].get(c.FAILED, 0))
            for d in found]


@dataclass(frozen=True)
class Recipient:
    """A person a decision recognises, with their certificate."""

    register_number: str
    code: str
    status: str
    full_name: str
    birth_year: int
    hamlet: str | None


RECIPIENTS_PAGE = 50


def recipients(session: Session, actor: Actor, decision_id: str, *, after: str | None = None,
               limit: int = RECIPIENTS_PAGE) -> tuple[list[Recipient], str | None]:
    """A page of a decision's recipients in register-number order (a keyset after the last number shown), and the
    number to continue after (None on the last page). Another ward's decision is not found."""
    decision = visible_decision(session, actor, decision_id)
    stmt = (sa_select(col(Certificate.register_number), col(Certificate.code), col(Certificate.status),
                      col(Citizen.full_name), col(Citizen.date_of_birth), col(Citizen.hamlet))
            .join(Citizen, col(Citizen.id) == col(Certificate.citizen_id))
            .where(col(Certificate.decision_id) == decision.id))
    if after:
        stmt = stmt.where(col(Certificate.register_number) > after)
    rows = session.execute(stmt.order_by(col(Certificate.register_number)).limit(limit + 1)).all()
    page = [Recipient(register_number=r[0], code=r[1], status=r[2], full_name=r[3], birth_year=r[4].year,
                      hamlet=r[5]) for r in rows[:limit]]
    return page, (page[-1].register_number if len(rows) > limit else None)
