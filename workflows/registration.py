"""Citizen self-registration: CCCD checks, NFC names, ward by official code, recorded consent."""

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from . import cccd as cccd_rules
from . import hamlets, names
from .accounts import actor_of, create_user, session_user
from .actors import Actor
from .clock import now
from .errors import Conflict, Invalid
from .models import AuditEvent, Citizen, User, Ward
from .passwords import MIN_LENGTH
from .residence import HAMLET_MAX
from .validation import FieldErrors
from .vocabulary import Entity, Event, Role, Sex, TargetGroup

CONSENT_VERSION = "2026-01"


def register_citizen(session: Session, data: Mapping[str, Any]) -> Citizen:
    """Validate every field, then create the login and the profile; raise Invalid or Conflict, writing nothing."""
    errors = FieldErrors()
    raw_cccd = errors.text(data, "cccd", 20)
    full_name = errors.text(data, "full_name", 200)
    dob = errors.iso_date(data, "date_of_birth")
    sex = errors.choice(data, "sex", tuple(Sex.values()))
    ward_code = errors.text(data, "ward_code", 5)
    target_group = errors.choice(data, "target_group", tuple(TargetGroup.values()))
    password = errors.secret(data, "password")
    email = errors.text(data, "email", 254, required=False)
    phone = errors.text(data, "phone", 20, required=False)
    hamlet = errors.text(data, "hamlet", HAMLET_MAX, required=False)
    if data.get("consent") not in (True, "true", "on", "1", "yes"):
        errors["consent"] = "consent_required"
    cccd = cccd_rules.clean(raw_cccd) if raw_cccd else None
    if cccd is not None:
        problem = cccd_rules.check(cccd, dob, sex)
        if problem:
            errors["cccd"] = problem
    if full_name is not None and len(names.normalise(full_name)) < 2:
        errors["full_name"] = "too_short"
    if password is not None and len(password) < MIN_LENGTH:
        errors["password"] = "password_too_short"
    if email is not None and ("@" not in email or email.startswith("@") or email.endswith("@")):
        errors["email"] = "email_format"
    if dob is not None and (dob.year < 1900 or dob > now().date()):
        errors["date_of_birth"] = "date_out_of_range"
    if ward_code is not None and session.get(Ward, ward_code) is None:
        errors["ward_code"] = "unknown_ward"
    where = hamlets.Place(None, None)
    if ward_code is not None and "ward_code" not in errors and "hamlet" not in errors:
        try:
            where = hamlets.place(session, ward_code, hamlet)
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        raise Invalid(fields=errors)
    assert cccd and full_name and dob and sex and ward_code and target_group and password
    if session.exec(select(Citizen.id).where(Citizen.cccd == cccd)).first() or session.exec(
        select(User.id).where(User.username == cccd)
    ).first():
        raise Conflict("cccd_exists", fields={"cccd": "cccd_exists"})
    name = names.normalise(full_name)
    user = create_user(session, username=cccd, password=password, role=Role.CITIZEN, display_name=name)
    citizen = Citizen(
        user_id=user.id, cccd=cccd, full_name=name, name_folded=names.fold(name), date_of_birth=dob,
        sex=sex, ward_code=ward_code, target_group=target_group, hamlet=where.name, hamlet_code=where.code,
        email=email, phone=phone,
        consent_at=now(), consent_version=CONSENT_VERSION,
    )
    session.add(citizen)
    session.flush()
    session.add(
        AuditEvent(actor_id=user.id, actor_role=Role.CITIZEN, entity_type=Entity.CITIZEN, entity_id=citizen.id,
                   event=Event.REGISTER, detail={"consent_version": CONSENT_VERSION, "ward_code": ward_code})
    )
    return citizen


def actor_for(session: Session, user: User) -> Actor:
    """Build the Actor for a user, with their citizen profile when they have one."""
    found = session_user(session, user.id)
    return actor_of(user, found[1] if found else None)
