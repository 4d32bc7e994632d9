"""A citizen's rights over their personal data (Law 91/2025/QH15, ADR 41): everything the system holds about them as
one document; requests to correct or delete, due two working days after filing (workflows.working_days), answered
by the staff of the citizen's ward; erasure where the law lets it happen. Every change is audited; the export too.

What the export leaves out of other people: staff are named by their role and ward only (never their name or
account), as the pages show them to the citizen; the internal bookkeeping of the queue (who holds an application,
storage keys, counters) is not the citizen's data and is left out too.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from . import consent
from .accounts import end_every_session
from .actors import WARD_STAFF, Actor
from .applications import remove_drafts
from .cccd import mask
from .clock import as_utc, now, today
from .effects import Effect, EffectKind, emit
from .errors import Conflict, Forbidden, NotFound
from .models import (
    Activity,
    Application,
    AuditEvent,
    Certificate,
    Citizen,
    ConsentRecord,
    DigitalAttainment,
    DigitalTestAttempt,
    PrivacyRequest,
    User,
    Ward,
)
from .passwords import unusable_hash
from .registration import withdraw_consents
from .validation import FieldErrors
from .vocabulary import ApplicationState, Entity, Event, PrivacyRequestKind, PrivacyRequestState, Role
from .working_days import add_working_days

FORMAT = "cdht-personal-data-1"
TEXT_MAX = 2000
DEADLINE_WORKING_DAYS = 2
# The profile fields a correction may name (the citizen's own words say what is wrong with it).
CORRECTABLE = ("full_name", "date_of_birth", "sex", "ward_code", "hamlet", "target_group", "email", "phone", "cccd",
               "other")
# Why a deletion is refused once an application was submitted or a certificate exists: told to the citizen.
LEGAL_GROUND = ("Hồ sơ đã nộp, quyết định công nhận và Giấy công nhận là hồ sơ của quyết định hành chính, phải được "
                "lưu giữ theo Luật Lưu trữ số 33/2024/QH15; Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15 không buộc "
                "xóa dữ liệu mà luật khác yêu cầu lưu giữ. / Submitted applications, recognition decisions and "
                "certificates are records of administrative decisions that must be kept under the Law on Archives "
                "No. 33/2024/QH15; Law 91/2025/QH15 does not require deleting data another law requires to keep.")
ERASED_NAME = "—"

# Columns that name an account: the citizen's own is "you"; anyone else's is their role and ward, never who.
ACCOUNT_COLUMNS = frozenset({"registered_by", "reviewed_by", "recorded_by", "verified_by", "given_by", "closed_by",
                             "created_by", "actor_id"})
OMIT: dict[str, frozenset[str]] = {
    "citizen": frozenset({"name_folded", "user_id"}),
    "application": frozenset({"name_folded", "name_sort", "hamlet_code", "assignee_id", "version", "has_evidence",
                              "passes", "citizen_id", "criteria_set_id"}),
    "activity": frozenset({"evidence_key"}),
    "certificate": frozenset({"live_key", "storage_key", "last_error", "attempts", "claimed_at", "version",
                              "citizen_id", "queued_at"}),
    "digital_attainment": frozenset({"evidence_key", "version", "citizen_id"}),
    "digital_test_attempt": frozenset({"item_ids", "answers", "citizen_id", "bank_id"}),
    "consent_record": frozenset({"citizen_id"}),
    "privacy_request": frozenset({"citizen_id"}),
}


# --- the export ----------------------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


class _People:
    """Who other accounts are, as the citizen may know them: their role and ward."""

    def __init__(self, session: Session, own: str, ids: Iterable[str | None]) -> None:
        self.own = own
        wanted = sorted({i for i in ids if i and i != own})
        self.known = {r[0]: {"role": r[1], "ward_code": r[2]} for r in session.exec(
            select(User.id, User.role, User.ward_code).where(col(User.id).in_(wanted)))} if wanted else {}

    def __call__(self, account: str | None) -> Any:
        if account is None:
            return None
        return "you" if account == self.own else self.known.get(account, {"role": Role.SYSTEM.value})


def _row(obj: Any, people: _People) -> dict[str, Any]:
    table = type(obj).__table__
    omit = OMIT.get(table.name, frozenset())
    return {c.name: people(getattr(obj, c.name)) if c.name in ACCOUNT_COLUMNS else _plain(getattr(obj, c.name))
            for c in table.columns if c.name not in omit}


def _account_ids(rows: Iterable[Any], details: Iterable[Any]) -> set[str]:
    """Every value that may name an account: the account columns, and the id-like strings of audit details (an
    assignment names the reviewer it gave the application to)."""
    found = {v for r in rows for name in ACCOUNT_COLUMNS if isinstance(v := getattr(r, name, None), str)}
    pending = list(details)
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and 16 <= len(value) <= 32:
            found.add(value)
    return found


def _scrub(value: Any, people: _People) -> Any:
    """An audit record's detail with every account id in it replaced as `_People` says."""
    if isinstance(value, dict):
        return {k: _scrub(v, people) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, people) for v in value]
    if isinstance(value, str) and (value == people.own or value in people.known):
        return people(value)
    return value


def export(session: Session, actor: Actor) -> dict[str, Any]:
    """Everything the system holds about the signed-in citizen, as one JSON-ready document (the caller audits it with
    `record_export`). Reads a fixed number of statements whatever the citizen holds."""
    if actor.role != Role.CITIZEN or actor.citizen_id is None:
        raise Forbidden()
    citizen = session.get(Citizen, actor.citizen_id)
    user = session.get(User, actor.user_id) if actor.user_id else None
    if citizen is None or user is None:
        raise NotFound()
    ward = session.get(Ward, citizen.ward_code)
    consents = session.exec(select(ConsentRecord).where(ConsentRecord.citizen_id == citizen.id)
                            .order_by(col(ConsentRecord.given_at), col(ConsentRecord.purpose))).all()
    applications = session.exec(select(Application).where(Application.citizen_id == citizen.id)
                                .order_by(col(Application.year))).all()
    app_ids = [a.id for a in applications]
    activities = session.exec(select(Activity).where(col(Activity.application_id).in_(app_ids))
                              .order_by(col(Activity.started_on))).all() if app_ids else []
    certificates = session.exec(select(Certificate).where(Certificate.citizen_id == citizen.id)
                                .order_by(col(Certificate.year), col(Certificate.queued_at))).all()
    attainments = session.exec(select(DigitalAttainment).where(DigitalAttainment.citizen_id == citizen.id)
                               .order_by(col(DigitalAttainment.created_at))).all()
    attempts = session.exec(select(DigitalTestAttempt).where(DigitalTestAttempt.citizen_id == citizen.id)
                            .order_by(col(DigitalTestAttempt.started_at))).all()
    requests = session.exec(select(PrivacyRequest).where(PrivacyRequest.citizen_id == citizen.id)
                            .order_by(col(PrivacyRequest.filed_at))).all()
    subjects = [citizen.id, user.id, *app_ids, *(c.id for c in certificates), *(a.id for a in attainments),
                *(r.id for r in requests)]
    events = session.exec(select(AuditEvent).where(col(AuditEvent.entity_id).in_(subjects))
                          .order_by(col(AuditEvent.id))).all()
    people = _People(session, user.id, _account_ids([citizen, *consents, *applications, *attainments, *requests,
                                                     *events], [e.detail for e in events]))
    by_app: dict[str, list[dict[str, Any]]] = {}
    for activity in activities:
        by_app.setdefault(activity.application_id, []).append(_row(activity, people))
    return {
        "format": FORMAT,
        "exported_at": _plain(now()),
        "controller": "Ủy ban nhân dân phường/xã và Hội Khuyến học (CDHT Hà Nội)",
        "account": {"username": user.username, "role": user.role, "active": user.active,
                    "created_at": _plain(user.created_at)},
        "profile": _row(citizen, people) | {"ward_name": ward.name if ward else None},
        "consents": [_row(c, people) | {"purposes_text": consent.TEXTS[c.text_version].purpose_names("vi")
                                        if c.text_version in consent.TEXTS else None} for c in consents],
        "applications": [_row(a, people) | {"activities": by_app.get(a.id, [])} for a in applications],
        "certificates": [_row(c, people) for c in certificates],
        "digital_skills": [_row(a, people) for a in attainments],
        "digital_tests": [_row(a, people) for a in attempts],
        "privacy_requests": [_row(r, people) for r in requests],
        "audit_events": [{"at": _plain(e.at), "actor": people(e.actor_id) if e.actor_id else {"role": e.actor_role},
                          "entity_type": e.entity_type, "entity_id": e.entity_id, "event": e.event,
                          "from_state": e.from_state, "to_state": e.to_state, "detail": _scrub(e.detail, people)}
                         for e in events],
    }


def record_export(session: Session, actor: Actor, document: Mapping[str, Any]) -> None:
    """Audit a download of the citizen's data (in its own transaction: the reads ran in a read-only one)."""
    _audit(session, actor, Entity.CITIZEN, document["profile"]["id"], Event.EXPORT, None, None,
           {"format": document["format"], "applications": len(document["applications"]),
            "audit_events": len(document["audit_events"])})


def _audit(session: Session, actor: Actor, entity: Entity, entity_id: str, event: Event, from_state: str | None,
           to_state: str | None, detail: dict[str, Any]) -> None:
    session.add(AuditEvent(actor_id=actor.user_id, actor_role=actor.role.value, entity_type=entity.value,
                           entity_id=entity_id, event=event.value, from_state=from_state, to_state=to_state,
                           detail=detail))


# --- requests ------------------------------------------------------------------------------------------------------

def file_request(session: Session, actor: Actor, data: Mapping[str, Any]) -> PrivacyRequest:
    """A citizen asks for a correction (naming the field) or a deletion, in their own words; due two working days
    after today (Hà Nội). Invalid naming each bad field."""
    if actor.role != Role.CITIZEN or actor.citizen_id is None:
        raise Forbidden()
    citizen = session.get(Citizen, actor.citizen_id)
    if citizen is None:
        raise NotFound()
    errors = FieldErrors()
    kind = errors.choice(data, "kind", tuple(PrivacyRequestKind.values()))
    field = errors.choice(data, "field", CORRECTABLE) if kind == PrivacyRequestKind.CORRECTION else None
    text = errors.text(data, "text", TEXT_MAX)
    if errors:
        raise errors.invalid()
    assert kind and text
    filed = today()
    request = PrivacyRequest(citizen_id=citizen.id, ward_code=citizen.ward_code, kind=kind, field=field, text=text,
                             due_on=add_working_days(filed, DEADLINE_WORKING_DAYS))
    session.add(request)
    session.flush()
    _audit(session, actor, Entity.PRIVACY_REQUEST, request.id, Event.FILE_REQUEST, None,
           PrivacyRequestState.OPEN.value, {"kind": kind, "field": field, "due_on": request.due_on.isoformat(),
                                            "ward_code": citizen.ward_code})
    return request


def my_requests(session: Session, actor: Actor) -> list[PrivacyRequest]:
    """The citizen's own requests, newest first."""
    if actor.role != Role.CITIZEN or actor.citizen_id is None:
        raise Forbidden()
    return list(session.exec(select(PrivacyRequest).where(PrivacyRequest.citizen_id == actor.citizen_id)
                             .order_by(col(PrivacyRequest.filed_at).desc())))


@dataclass(frozen=True)
class Listed:
    """One open request in the ward's list: the request, its citizen as staff pages show them, and whether late."""

    request: PrivacyRequest
    full_name: str
    cccd_masked: str
    overdue: bool


def _staff_ward(actor: Actor) -> str:
    if actor.role not in WARD_STAFF or not actor.ward_code:
        raise NotFound()
    return actor.ward_code


def ward_requests(session: Session, actor: Actor) -> list[Listed]:
    """The open requests of the actor's ward, the nearest deadline first (one statement, on the partial index)."""
    ward = _staff_ward(actor)
    rows = session.exec(select(PrivacyRequest, Citizen.full_name, Citizen.cccd)
                        .join(Citizen, col(Citizen.id) == col(PrivacyRequest.citizen_id))
                        .where(PrivacyRequest.ward_code == ward, PrivacyRequest.state == PrivacyRequestState.OPEN)
                        .order_by(col(PrivacyRequest.due_on), col(PrivacyRequest.filed_at))).all()
    moment = today()
    return [Listed(r, name, mask(cccd), r.due_on < moment) for r, name, cccd in rows]


def ward_request(session: Session, actor: Actor, request_id: str) -> tuple[PrivacyRequest, Citizen]:
    """One request of the actor's ward and its citizen; NotFound for another ward's or an unknown one."""
    ward = _staff_ward(actor)
    found = session.exec(select(PrivacyRequest, Citizen)
                         .join(Citizen, col(Citizen.id) == col(PrivacyRequest.citizen_id))
                         .where(PrivacyRequest.id == request_id, PrivacyRequest.ward_code == ward)).first()
    if found is None:
        raise NotFound()
    return found[0], found[1]


def erasable(session: Session, citizen_id: str) -> bool:
    """Whether the law lets the profile be erased: no certificate, and no application ever submitted."""
    certified = session.exec(select(Certificate.id).where(Certificate.citizen_id == citizen_id).limit(1)).first()
    submitted = session.exec(select(Application.id).where(
        Application.citizen_id == citizen_id,
        (col(Application.submitted_at).is_not(None)) | (Application.state != ApplicationState.DRAFT)).limit(1)).first()
    return certified is None and submitted is None


def close_request(session: Session, actor: Actor, request_id: str, data: Mapping[str, Any]) -> PrivacyRequest:
    """Answer an open request of the ward: `outcome` done or refused, `text` what was done or why not (required to
    refuse; the citizen reads it). A deletion done erases the profile, which only a citizen with no certificate and
    no application ever submitted may have: otherwise it is refused with the legal ground (Conflict
    `records_must_be_kept`). The citizen is told by e-mail (after the commit) and on their page."""
    request, citizen = ward_request(session, actor, request_id)
    if request.state != PrivacyRequestState.OPEN:
        raise Conflict("request_closed")
    errors = FieldErrors()
    outcome = errors.choice(data, "outcome", (PrivacyRequestState.DONE.value, PrivacyRequestState.REFUSED.value))
    text = errors.text(data, "text", TEXT_MAX, required=outcome == PrivacyRequestState.REFUSED)
    if errors:
        raise errors.invalid()
    assert outcome
    erase = request.kind == PrivacyRequestKind.DELETION and outcome == PrivacyRequestState.DONE
    if erase and not erasable(session, citizen.id):
        raise Conflict("records_must_be_kept", fields={"outcome": "records_must_be_kept"})
    moment = now()
    request.state, request.closed_at, request.closed_by = outcome, moment, actor.user_id
    request.outcome = text or None
    session.add(request)
    if erase:
        _erase(session, actor, citizen, request.id, moment)
    _audit(session, actor, Entity.PRIVACY_REQUEST, request.id, Event.CLOSE_REQUEST, PrivacyRequestState.OPEN.value,
           outcome, {"kind": request.kind, "erased": erase, "ward_code": request.ward_code})
    emit(session, Effect(EffectKind.NOTIFY_PRIVACY, request.id))
    return request


def _erase(session: Session, actor: Actor, citizen: Citizen, request_id: str, moment: datetime) -> None:
    """Erase a profile as far as the law lets: the name, contact details and tổ dân phố/thôn go, the date of birth
    keeps its year (the city's figures count by age band), the account is closed and signed out everywhere, the
    consents withdrawn, draft applications and their activities deleted. The audit trail stays as it is (ADR 36).
    The identity number stays until the lead's keyed-hash storage of it lands (ADR 41)."""
    drafts = remove_drafts(session, citizen.id)  # only drafts: an erasure waits for nothing submitted
    citizen.full_name, citizen.name_folded = ERASED_NAME, ""
    citizen.email = citizen.phone = citizen.hamlet = citizen.hamlet_code = None
    citizen.date_of_birth = date(citizen.date_of_birth.year, 1, 1)
    session.add(citizen)
    user = session.get(User, citizen.user_id)
    if user is not None:
        user.active, user.display_name, user.password_hash = False, "", unusable_hash()
        end_every_session(session, user, moment)
    withdraw_consents(session, citizen.id, moment)
    _audit(session, actor, Entity.CITIZEN, citizen.id, Event.ERASE, None, None,
           {"request_id": request_id, "drafts_deleted": drafts,
            "fields": ["full_name", "email", "phone", "hamlet", "date_of_birth"]})


def city_counts(session: Session) -> tuple[int, int]:
    """The city's open requests and how many of them are past their deadline (one statement)."""
    overdue = func.sum(case((col(PrivacyRequest.due_on) < today(), 1), else_=0))
    found = session.exec(select(func.count(), overdue).select_from(PrivacyRequest)
                         .where(PrivacyRequest.state == PrivacyRequestState.OPEN)).one()
    return int(found[0] or 0), int(found[1] or 0)
