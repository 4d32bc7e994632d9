"""An identity number someone else registered, given back to its owner at the ward's desk (ADR 43).

Registration answers the same whether a number is new or not, so whoever registers a CCCD first holds its account.
Its real owner comes to the desk of the ward they live in with their card. The official checks the card in person
and enters the person as the card and the paper consent form give them (the fields of assisted registration); the
account then becomes the owner's:

- the profile takes the person's fields, moves to the official's ward, and records the paper consent the owner
  signed (the other person's consent records are withdrawn: it was not theirs); the contact details the other
  person gave go;
- the other person is signed out everywhere (sessions and API tokens), their password stops working, and any
  earlier activation code too; the owner gets a new activation code and chooses their own password;
- drafts the other person started, which no official has seen, are removed with their activities;
- anything an official has seen or decided in the holder's name (an application under review or proposed, a
  certificate, a digital-skill record pending or in force) blocks the claim until the ward holding it decides it,
  declines it or revokes it: a claim never rewrites a decision.

The change is audited (`reclaim`) on the profile with what moved, never the number.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from . import activation
from . import cccd as cccd_rules
from .accounts import end_every_session
from .actors import Actor
from .applications import remove_drafts
from .assisted import TICKED, Registered, authorise, checked_at_desk
from .clock import now
from .digital import counters as digital_counters
from .errors import Conflict, Invalid
from .holder_counters import Holder
from .models import (
    ActivationCode,
    Application,
    AuditEvent,
    Certificate,
    Citizen,
    DigitalAttainment,
    User,
)
from .names import fold
from .passwords import unusable_hash
from .registration import CONSENT_VERSION, PAPER, record_consents, withdraw_consents
from .validation import FieldErrors
from .vocabulary import ApplicationState, AttainmentState, CertificateStatus, Entity, Event

IN_HAND = (ApplicationState.SUBMITTED.value, ApplicationState.RETURNED.value, ApplicationState.APPROVED.value)
IN_FORCE = (CertificateStatus.QUEUED.value, CertificateStatus.RENDERING.value, CertificateStatus.ISSUED.value,
            CertificateStatus.FAILED.value)
RECORDS_IN_FORCE = (AttainmentState.PENDING.value, AttainmentState.VERIFIED.value)


def claim(session: Session, actor: Actor, data: Mapping[str, Any]) -> Registered:
    """Give the account of `data["cccd"]` to the person at the desk (see the module's text). Invalid naming each bad
    field (the card not checked: `identity_checked`; no account with the number: `cccd`); Conflict
    `claim_blocked` while something decided in the holder's name stands."""
    ward_code = authorise(actor, None)
    errors = FieldErrors()
    if data.get("identity_checked") not in TICKED:
        errors["identity_checked"] = "identity_check_required"
    person, reference = checked_at_desk(session, ward_code, data, errors)
    citizen = session.exec(select(Citizen).where(Citizen.cccd == cccd_rules.clean(person.cccd))
                           .with_for_update()).first()
    user = session.get(User, citizen.user_id) if citizen is not None else None
    if citizen is None or user is None:
        raise Invalid(fields={"cccd": "cccd_not_registered"})
    _ensure_nothing_decided(session, citizen.id)
    moment = now()
    before = Holder(citizen.ward_code, citizen.target_group, citizen.sex, citizen.date_of_birth.year, citizen.hamlet)
    drafts = remove_drafts(session, citizen.id)
    for name in ("full_name", "date_of_birth", "sex", "target_group", "hamlet", "hamlet_code", "email", "phone"):
        setattr(citizen, name, getattr(person, name))
    citizen.name_folded = fold(person.full_name)
    citizen.ward_code, citizen.registered_by = ward_code, actor.user_id
    citizen.consent_at, citizen.consent_version = moment, CONSENT_VERSION
    citizen.consent_channel, citizen.consent_reference = PAPER, reference
    session.add(citizen)
    user.password_hash, user.display_name, user.active = unusable_hash(), person.full_name, True
    end_every_session(session, user, moment)
    session.execute(update(ActivationCode).where(col(ActivationCode.user_id) == user.id,
                                                 col(ActivationCode.used_at).is_(None),
                                                 col(ActivationCode.expires_at) > moment).values(expires_at=moment))
    # The other person's consent was not the owner's: withdrawn; the owner's, signed on paper, recorded.
    withdraw_consents(session, citizen.id, moment)
    record_consents(session, [(citizen.id, reference, actor.user_id)], channel=PAPER, at=moment)
    session.flush()
    digital_counters.citizen_changed(session, citizen, before)
    session.add(AuditEvent(at=moment, actor_id=actor.user_id, actor_role=actor.role.value,
                           entity_type=Entity.CITIZEN.value, entity_id=citizen.id, event=Event.RECLAIM.value,
                           detail={"from_ward": before.ward_code, "to_ward": ward_code, "identity_checked": True,
                                   "drafts_removed": drafts, "consent_channel": PAPER,
                                   "consent_reference": reference, "consent_version": CONSENT_VERSION}))
    return Registered(citizen, activation.issue(session, user.id, actor.user_id))


def _ensure_nothing_decided(session: Session, citizen_id: str) -> None:
    """Conflict `claim_blocked` when an official has something in hand or in force in the holder's name."""
    counts = session.execute(select(
        select(func.count()).select_from(Application).where(col(Application.citizen_id) == citizen_id,
                                                            col(Application.state).in_(IN_HAND)).scalar_subquery(),
        select(func.count()).select_from(Certificate).where(col(Certificate.citizen_id) == citizen_id,
                                                            col(Certificate.status).in_(IN_FORCE)).scalar_subquery(),
        select(func.count()).select_from(DigitalAttainment).where(
            col(DigitalAttainment.citizen_id) == citizen_id,
            col(DigitalAttainment.state).in_(RECORDS_IN_FORCE)).scalar_subquery())).one()
    if any(counts):
        raise Conflict("claim_blocked", fields={"cccd": "claim_blocked"})
