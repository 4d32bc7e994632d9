"""Reissue after a correction (ADR 28): a misspelt name or a wrong date of birth is corrected on the citizen's record
and a new certificate supersedes the issued one.

In one transaction: the issued certificate moves to `superseded` through the state table (its live_key cleared,
uncounted while its holder is still as counted), the citizen's record is corrected (checked as at registration: NFC
name, a date of birth the CCCD agrees with), a new certificate is written `queued` with the next register number of
the ward and year, the same decision, application, year and title, and the corrected facts in its snapshot (its
render is the effect of its birth), counted again, and the old row names its successor. Both rows and the
correction are audited. Only an issued certificate can be superseded: one still being issued is printed with the
record as it is when it renders (correct the record's facts then wait, or retry a failed one, then reissue).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from . import cccd, names, register_numbers, rollup_counters
from .access import visible_certificate
from .actors import Actor
from .clock import now, today
from .errors import Conflict, Invalid, NotFound
from .inputs import ReissueInput
from .issuance import by_code
from .models import Application, AuditEvent, Certificate, Citizen, User
from .states import apply_event, initial_state, record_creation, require_role
from .vocabulary import CertificateStatus, Entity, Event

# Why a certificate in this status cannot be reissued (a message each, webapp/i18n.py).
REFUSED = {
    CertificateStatus.REVOKED: "certificate_revoked",
    CertificateStatus.SUPERSEDED: "certificate_superseded",
    CertificateStatus.QUEUED: "certificate_not_issued",
    CertificateStatus.RENDERING: "certificate_not_issued",
    CertificateStatus.FAILED: "certificate_failed",
}


@dataclass(frozen=True)
class Reissued:
    """The certificate superseded and the one that supersedes it."""

    old: Certificate
    new: Certificate


def may_reissue(actor: Actor) -> None:
    """Forbidden unless the table lets the actor's role supersede a certificate (before anything is read)."""
    require_role(actor, Entity.CERTIFICATE, Event.SUPERSEDE)


def reissue(
    session: Session, actor: Actor, code: str, data: ReissueInput, *, new_code: Callable[[], str],
    verify_url: Callable[[str], str],
) -> Reissued:
    """Correct the holder's name and/or date of birth and supersede the issued certificate by a new one.

    403 for a role that may not (a reviewer), 404 for another ward's certificate, 409 naming why one not issued
    (revoked, superseded, still being issued, failed) cannot be reissued, 422 for a correction that is not valid or
    changes nothing the certificate prints.
    """
    may_reissue(actor)
    old = visible_certificate(session, actor, by_code(session, code))
    status = CertificateStatus(old.status)
    if status != CertificateStatus.ISSUED:
        raise Conflict(REFUSED.get(status, "invalid_transition"), state=status.value, event=Event.SUPERSEDE.value)
    citizen = session.get(Citizen, old.citizen_id)
    if citizen is None:
        raise NotFound()
    full_name = names.normalise(data.full_name) if data.full_name is not None else citizen.full_name
    born = data.date_of_birth or citizen.date_of_birth
    errors: dict[str, str] = {}
    if data.full_name is not None and len(full_name) < 2:
        errors["full_name"] = "too_short"
    if data.date_of_birth is not None:
        if born.year < 1900 or born > today():
            errors["date_of_birth"] = "date_out_of_range"
        elif cccd.check(citizen.cccd, born, citizen.sex):
            errors["date_of_birth"] = "cccd_birth_mismatch"  # the CCCD fixes the century and the year of birth
    if errors:
        raise Invalid(fields=errors)
    printed = old.snapshot
    if (full_name, born.isoformat()) == (printed.get("holder_name"), printed.get("date_of_birth")):
        raise Invalid("nothing_to_correct", fields={"full_name": "nothing_to_correct"})

    # Rows taken in a decision's order (the ward's register sequence, then the counters), so that a decision and a
    # reissue in the same ward queue instead of deadlocking. The old one leaves the counters as it was counted (its
    # holder as now, before the correction), then stops being live: the version-fenced UPDATE makes a second
    # reissue of the same certificate at once a 409.
    seq = register_numbers.take(session, old.ward_code, old.year, 1)
    rollup_counters.add_live(session, [old], -1)
    live_key = f"{old.citizen_id}:{old.title_type}:{old.year}"
    apply_event(session, old, Event.SUPERSEDE, actor, detail={"reason": data.reason},
                also={"live_key": None, "superseded_at": now()})
    _correct(session, actor, citizen, full_name, born, old, data.reason)

    number = register_numbers.register_number(old.ward_code, old.year, seq)
    new_code_value = new_code()
    snapshot = {**printed, "code": new_code_value, "register_number": number, "holder_name": full_name,
                "date_of_birth": born.isoformat(), "verify_url": verify_url(new_code_value)}
    new = Certificate(
        code=new_code_value, register_number=number, application_id=old.application_id, citizen_id=old.citizen_id,
        decision_id=old.decision_id, ward_code=old.ward_code, title_type=old.title_type, year=old.year,
        status=initial_state(Entity.CERTIFICATE), live_key=live_key, snapshot=snapshot, supersedes=old.id,
    )
    session.add(new)
    session.flush()
    record_creation(session, new, actor, {"decision_id": old.decision_id, "supersedes": old.code,
                                          "reason": data.reason})  # queued: its render after the commit
    rollup_counters.add_live(session, [new], 1)
    session.execute(update(Certificate).where(col(Certificate.id) == old.id).values(superseded_by=new.id))
    set_committed_value(old, "superseded_by", new.id)
    session.flush()
    return Reissued(old=old, new=new)


def _correct(session: Session, actor: Actor, citizen: Citizen, full_name: str, born: date, old: Certificate,
             reason: str) -> None:
    """Correct the citizen's record (the login's display name and the name the queue searches follow); audited."""
    changed = {field: {"from": str(before), "to": str(after)}
               for field, before, after in (("full_name", citizen.full_name, full_name),
                                            ("date_of_birth", citizen.date_of_birth, born))
               if before != after}
    if not changed:
        return  # corrected already (e.g. while reissuing another of the citizen's certificates)
    folded = names.fold(full_name)
    citizen.full_name, citizen.name_folded = full_name, folded
    citizen.date_of_birth = born
    session.add(citizen)
    session.execute(update(User).where(col(User.id) == citizen.user_id).values(display_name=full_name))
    session.execute(update(Application).where(col(Application.citizen_id) == citizen.id).values(
        name_folded=folded, name_sort=names.sort_key(folded)))
    session.add(AuditEvent(actor_id=actor.user_id, actor_role=actor.role, entity_type=Entity.CITIZEN,
                           entity_id=citizen.id, event=Event.CORRECT,
                           detail={**changed, "certificate": old.code, "reason": reason}))
    session.flush()

