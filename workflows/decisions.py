"""The ward chair's recognition decision: in one transaction it recognises applications and queues certificates."""

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from . import issuance
from .access import visible_application
from .actors import WARD_CHAIR, Actor
from .clock import today
from .errors import Conflict, Forbidden, Invalid, NotFound
from .models import Application, Certificate, Citizen, Decision, Ward
from .states import apply_event, record_creation
from .validation import FieldErrors

CERTIFICATE_TITLES = {"cdht": "Công dân học tập"}
PLACE = "Hà Nội"
SIGNER_TITLE = "CHỦ TỊCH"
MAX_APPLICATIONS = 5000


def record_decision(
    session: Session, actor: Actor, data: Mapping[str, Any], *, new_code: Callable[[], str],
    verify_url: Callable[[str], str],
) -> tuple[Decision, list[Certificate]]:
    """Record the decision, recognise each approved application and write its certificate row as queued."""
    if actor.role != WARD_CHAIR or actor.ward_code is None:
        raise Forbidden("role_not_allowed")
    errors = FieldErrors()
    year = errors.integer(data, "year", 2024, 2100)
    number = errors.text(data, "number", 40)
    signed_on = errors.iso_date(data, "signed_on")
    signer_name = errors.text(data, "signer_name", 200)
    ids = data.get("application_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        errors["application_ids"] = "required"
    elif len(ids) > MAX_APPLICATIONS or len(set(ids)) != len(ids):
        errors["application_ids"] = "invalid_list"
    if signed_on is not None and signed_on > today():
        errors["signed_on"] = "date_in_future"
    if errors:
        raise Invalid(fields=errors)
    assert year and number and signed_on and signer_name and isinstance(ids, list)
    apps = [visible_application(session, actor, i) for i in ids]  # another ward's id: NotFound
    bad = {f"application_ids.{a.id}": "not_approved" for a in apps if a.state != "approved"}
    bad |= {f"application_ids.{a.id}": "wrong_year" for a in apps if a.year != year and a.state == "approved"}
    if bad:
        raise Invalid("applications_not_eligible", fields=bad)
    if session.exec(select(Decision.id).where(Decision.ward_code == actor.ward_code,
                                              Decision.number == number)).first():
        raise Conflict("decision_exists", fields={"number": "decision_exists"})
    ward = session.get(Ward, actor.ward_code)
    if ward is None:
        raise NotFound()
    decision = Decision(ward_code=ward.code, year=year, number=number, signed_on=signed_on,
                        signer_name=signer_name, created_by=actor.user_id or "")
    session.add(decision)
    session.flush()
    seq = _issued_count(session, ward.code, year)
    certificates = []
    for app in apps:
        apply_event(session, app, "recognise", actor, detail={"decision_id": decision.id})
        app.decision_id = decision.id
        session.add(app)
        seq += 1
        certificates.append(_queue_certificate(session, actor, app, decision, ward, seq, new_code, verify_url))
    session.flush()
    return decision, certificates


def _issued_count(session: Session, ward_code: str, year: int) -> int:
    stmt = select(func.count()).select_from(Certificate).where(
        Certificate.ward_code == ward_code, Certificate.year == year
    )
    return int(session.exec(stmt).one())


def _queue_certificate(
    session: Session, actor: Actor, app: Application, decision: Decision, ward: Ward, seq: int,
    new_code: Callable[[], str], verify_url: Callable[[str], str],
) -> Certificate:
    citizen = session.get(Citizen, app.citizen_id)
    assert citizen is not None
    code = new_code()
    register_number = f"HN-{ward.code}-{app.year}-{seq:06d}"
    title = CERTIFICATE_TITLES[app.title_type]
    snapshot = {
        "code": code,
        "register_number": register_number,
        "title": title,
        "year": app.year,
        "holder_name": citizen.full_name,
        "date_of_birth": citizen.date_of_birth.isoformat(),
        "residence": f"{ward.name}, thành phố {PLACE}",
        "issuer_name": ward.name.upper(),
        "issuer_display": ward.name,
        "decision_number": decision.number,
        "decision_date": decision.signed_on.isoformat(),
        "place": PLACE,
        "signed_on": decision.signed_on.isoformat(),
        "signer_title": SIGNER_TITLE,
        "signer_name": decision.signer_name,
        "verify_url": verify_url(code),
    }
    cert = Certificate(
        code=code, register_number=register_number, application_id=app.id, citizen_id=citizen.id,
        decision_id=decision.id, ward_code=ward.code, title_type=app.title_type, year=app.year, status="queued",
        live_key=f"{citizen.id}:{app.title_type}:{app.year}", snapshot=snapshot,
    )
    session.add(cert)
    session.flush()
    record_creation(session, cert, actor, {"decision_id": decision.id})
    return cert


def decision_progress(session: Session, actor: Actor, decision_id: str) -> tuple[Decision, dict[str, int]]:
    """Return a decision the actor may see with its certificates counted by status."""
    decision = session.get(Decision, decision_id)
    if decision is None or not (actor.role == "city_admin" or actor.ward_code == decision.ward_code):
        raise NotFound()
    rows = session.exec(
        select(Certificate.status, func.count()).where(Certificate.decision_id == decision.id)
        .group_by(col(Certificate.status))
    ).all()
    counts = {status: int(n) for status, n in rows}
    return decision, {"total": sum(counts.values()), "issued": counts.get("issued", 0),
                      "failed": counts.get("failed", 0), "queued": counts.get("queued", 0) + counts.get("rendering", 0)}


def approved_in_ward(session: Session, actor: Actor, year: int) -> list[tuple[Application, Citizen]]:
    """List the approved, not yet recognised applications of the chair's ward for a year."""
    if actor.ward_code is None:
        return []
    stmt = select(Application, Citizen).join(Citizen, col(Citizen.id) == col(Application.citizen_id)).where(
        Application.ward_code == actor.ward_code, Application.year == year, Application.state == "approved"
    ).order_by(col(Citizen.name_folded))
    return [(a, c) for a, c in session.exec(stmt).all()]


def retry_failed(session: Session, actor: Actor, decision_id: str) -> list[str]:
    """Queue a decision's failed certificates again (its ward's chair or an admin); another ward's is not found."""
    decision_progress(session, actor, decision_id)
    return issuance.retry_failed(session, actor, decision_id)
