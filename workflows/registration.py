"""Citizen self-registration: CCCD checks, NFC names, ward by official code, recorded consent.

`check_person` is the one check of a person's fields (CCCD and its agreement with the date of birth and sex, name,
target group, tổ dân phố/thôn, contact details): self-registration, registration by ward staff and a ward's CSV
import of citizens (ADR 25) all call it, and `citizen_row` is the one shape of the profile they write.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from . import cccd as cccd_rules
from . import consent, hamlets, names
from .accounts import actor_of, create_user, session_user
from .actors import Actor
from .clock import now
from .db import bulk_insert
from .effects import Effect, EffectKind, emit
from .errors import Conflict, Invalid
from .hamlets import HAMLET_MAX
from .models import AuditEvent, Citizen, ConsentRecord, User, Ward
from .models.ids import new_id
from .passwords import hash_password
from .passwords import problem as password_problem
from .validation import FieldErrors
from .vocabulary import Entity, Event, Role, Sex, TargetGroup

CONSENT_VERSION = consent.CURRENT  # the version of the consent text registration shows today (workflows/consent.py)
ONLINE, PAPER = consent.ONLINE, consent.PAPER  # how consent was given (Citizen.consent_channel)
PERSON_FIELDS = ("cccd", "full_name", "date_of_birth", "sex", "target_group", "hamlet", "phone", "email")


@dataclass(frozen=True)
class Person:
    """One person's checked fields, as a profile stores them."""

    cccd: str
    full_name: str  # NFC, spaces tidied
    date_of_birth: date
    sex: str
    target_group: str
    hamlet: str | None
    phone: str | None
    email: str | None
    # The code of the hamlet in the ward's list, once placed there (workflows.hamlets.Resolver); never compared.
    hamlet_code: str | None = None

    def differs_from(self, citizen: Any) -> bool:
        """Whether a stored profile (a Citizen or a row with its columns) says anything else about this person."""
        return any(getattr(self, name) != getattr(citizen, name) for name in PERSON_FIELDS)


def placed(resolver: hamlets.Resolver, person: Person) -> Person:
    """The person with their tổ dân phố / thôn as the ward's list names it (and its code); Invalid naming `hamlet`
    for one the list does not have (ADR 26)."""
    where = resolver.place(person.hamlet)
    return replace(person, hamlet=where.name, hamlet_code=where.code)


def check_person(data: Mapping[str, Any], errors: FieldErrors) -> Person | None:
    """Check a person's fields (`date_of_birth` as YYYY-MM-DD or a date), recording each problem in `errors`;
    the Person when they are all good, else None."""
    before = len(errors)
    raw_cccd = errors.text(data, "cccd", 20)
    full_name = errors.text(data, "full_name", 200)
    dob = errors.iso_date(data, "date_of_birth")
    sex = errors.choice(data, "sex", tuple(Sex.values()))
    target_group = errors.choice(data, "target_group", tuple(TargetGroup.values()))
    email = errors.text(data, "email", 254, required=False)
    phone = errors.text(data, "phone", 20, required=False)
    hamlet = errors.text(data, "hamlet", HAMLET_MAX, required=False)
    cccd = cccd_rules.clean(raw_cccd) if raw_cccd else None
    if cccd is not None:
        problem = cccd_rules.check(cccd, dob, sex)
        if problem:
            errors["cccd"] = problem
    if full_name is not None and len(names.normalise(full_name)) < 2:
        errors["full_name"] = "too_short"
    if email is not None:
        email = email.lower()  # one spelling per address: the reset form finds it however it is typed
        if not EMAIL.fullmatch(email):
            errors["email"] = "email_format"
    if phone is not None:
        phone = vietnamese_phone(phone)
        if phone is None:
            errors["phone"] = "phone_format"
    if dob is not None and (dob.year < 1900 or dob > now().date()):
        errors["date_of_birth"] = "date_out_of_range"
    if len(errors) > before or not (cccd and full_name and dob and sex and target_group):
        return None
    return Person(cccd=cccd, full_name=names.normalise(full_name), date_of_birth=dob, sex=sex,
                  target_group=target_group, hamlet=names.normalise(hamlet or "") or None, phone=phone, email=email)


EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
# Mobile numbers: 10 digits from 03, 05, 07, 08 or 09; landlines: 11 digits from 02 (024 for Hà Nội).
PHONE = re.compile(r"0[35789]\d{8}|02\d{9}")


def vietnamese_phone(text: str) -> str | None:
    """A phone number in its national form (0912345678), however it was typed (spaces, dots, dashes, +84); None
    when it is not a Vietnamese mobile or landline number."""
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits if PHONE.fullmatch(digits) else None


def citizen_row(person: Person, *, user_id: str, ward_code: str, at: datetime, consent_channel: str = ONLINE,
                consent_reference: str | None = None, registered_by: str | None = None) -> dict[str, Any]:
    """The columns of a new citizen profile: every way of registering writes this shape."""
    return {"id": new_id(), "user_id": user_id, "cccd": person.cccd, "full_name": person.full_name,
            "name_folded": names.fold(person.full_name), "date_of_birth": person.date_of_birth, "sex": person.sex,
            "ward_code": ward_code, "target_group": person.target_group, "hamlet": person.hamlet,
            "hamlet_code": person.hamlet_code,
            "email": person.email, "phone": person.phone, "consent_at": at, "consent_version": CONSENT_VERSION,
            "consent_channel": consent_channel, "consent_reference": consent_reference,
            "registered_by": registered_by, "created_at": at}


def ensure_new(session: Session, cccd: str) -> None:
    """Conflict when a profile or a login already has this CCCD."""
    if session.exec(select(Citizen.id).where(Citizen.cccd == cccd)).first() or session.exec(
        select(User.id).where(User.username == cccd)
    ).first():
        raise Conflict("cccd_exists", fields={"cccd": "cccd_exists"})


def register_citizen(session: Session, data: Mapping[str, Any], *, password_hash: str | None = None) -> Citizen:
    """Validate every field, then create the login and the profile; raise Invalid or Conflict, writing nothing.
    `password_hash`: the password already hashed (the demo's one shared password, hashed once), else it is hashed."""
    person, ward_code, password = _checked(session, data)
    ensure_new(session, person.cccd)
    return _create(session, person, ward_code, password, password_hash)


@dataclass(frozen=True)
class Receipt:
    """What a self-registration answers, in the same shape whether the number was new or registered before, so that
    the answer tells no one who is registered (ADR 43). `citizen` is the new profile, None for a number registered
    before: the caller must not let that show (the `id` is then a fresh one that names no profile)."""

    id: str
    person: Person
    ward_code: str
    citizen: Citizen | None


def receive(session: Session, data: Mapping[str, Any]) -> Receipt:
    """Self-registration as the public forms run it: Invalid for a bad field (which tells nothing of anyone else);
    otherwise a receipt. A number already registered creates nothing: the attempt is audited on the profile, and
    its owner is told by e-mail when they gave an address (the effect NOTIFY_REGISTERED_AGAIN), or learns it at the
    ward, where the desk's claim (workflows.assisted.claim) gives the account back to whoever shows the card."""
    person, ward_code, password = _checked(session, data)
    owner = session.exec(select(Citizen).where(Citizen.cccd == person.cccd)).first()
    login = owner.user_id if owner else session.exec(select(User.id).where(User.username == person.cccd)).first()
    if login is None:
        citizen = _create(session, person, ward_code, password, None)
        return Receipt(citizen.id, person, ward_code, citizen)
    hash_password(password)  # the work a registration does: the time the answer takes tells nothing either
    session.add(AuditEvent(actor_id=None, actor_role=Role.SYSTEM, entity_type=Entity.CITIZEN if owner else Entity.USER,
                           entity_id=owner.id if owner else login, event=Event.REGISTER_AGAIN,
                           detail={"ward_code": ward_code, "channel": "online"}))
    if owner is not None and owner.email:
        emit(session, Effect(EffectKind.NOTIFY_REGISTERED_AGAIN, owner.id))
    return Receipt(new_id(), person, ward_code, None)


def _checked(session: Session, data: Mapping[str, Any]) -> tuple[Person, str, str]:
    """The registration's fields, every one checked (Invalid naming each bad one): the person, ward and password."""
    errors = FieldErrors()
    person = check_person(data, errors)
    ward_code = errors.text(data, "ward_code", 5)
    password = errors.secret(data, "password")
    if data.get("consent") not in (True, "true", "on", "1", "yes"):
        errors["consent"] = "consent_required"
    if password is not None:
        refused = password_problem(password, cccd=cccd_rules.clean(str(data.get("cccd") or "")),
                                   name=str(data.get("full_name") or ""),
                                   born=person.date_of_birth if person is not None else None,
                                   others=[str(data.get("email") or "").split("@")[0]])
        if refused:
            errors["password"] = refused
    if ward_code is not None and session.get(Ward, ward_code) is None:
        errors["ward_code"] = "unknown_ward"
    elif ward_code is not None and person is not None:
        try:
            person = placed(hamlets.Resolver(session, ward_code), person)
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        raise errors.invalid()
    assert person and ward_code and password
    return person, ward_code, password


def _create(session: Session, person: Person, ward_code: str, password: str, password_hash: str | None) -> Citizen:
    """The login and the profile of a new citizen, and the audit record of their registration."""
    user = create_user(session, username=person.cccd, password=password, password_hash=password_hash,
                       role=Role.CITIZEN, display_name=person.full_name)
    citizen = Citizen(**citizen_row(person, user_id=user.id, ward_code=ward_code, at=now()))
    session.add(citizen)
    session.flush()
    record_consents(session, [(citizen.id, None, user.id)], channel=ONLINE, at=citizen.created_at)
    session.add(
        AuditEvent(actor_id=user.id, actor_role=Role.CITIZEN, entity_type=Entity.CITIZEN, entity_id=citizen.id,
                   event=Event.REGISTER, detail={"consent_version": CONSENT_VERSION, "ward_code": ward_code,
                                                 "purposes": list(consent.current().purposes)})
    )
    return citizen


def withdraw_consents(session: Session, citizen_id: str, at: datetime) -> None:
    """Every consent of the citizen still in force withdrawn at `at` (an erasure; an account given back)."""
    session.execute(update(ConsentRecord).where(col(ConsentRecord.citizen_id) == citizen_id,
                                                col(ConsentRecord.withdrawn_at).is_(None)).values(withdrawn_at=at))


def record_consents(session: Session, entries: Sequence[tuple[str, str | None, str | None]], *, channel: str,
                    at: datetime) -> None:
    """One consent row per purpose of the current text for each (citizen id, paper form's number, account it was
    given through), in one statement: every way of registering calls this in its own transaction."""
    written = consent.rows(entries, channel=channel, at=at)
    for start in range(0, len(written), CONSENT_CHUNK):
        bulk_insert(session, ConsentRecord.__table__, written[start:start + CONSENT_CHUNK])  # type: ignore[attr-defined]


CONSENT_CHUNK = 5000


def actor_for(session: Session, user: User) -> Actor:
    """Build the Actor for a user, with their citizen profile when they have one."""
    found = session_user(session, user.id)
    return actor_of(user, found[1] if found else None)
