"""A citizen's change of residence: another ward, or another tổ dân phố/thôn within theirs.

The citizen's holdings of basic digital skills follow them (they are counted where they live now: ADR 15, ADR 20),
and so do their records waiting for verification or verified (the new ward's staff deal with them from now on);
a title stays with the ward that recognised it (the citizen was resident there at the decision); applications
already opened stay with the ward reviewing them, and the next one is opened in the new ward. The counters move in
the transaction that moves the citizen, and the change is audited.
"""

from sqlalchemy import update
from sqlmodel import Session, col, select

from . import hamlets
from .actors import Actor
from .digital import counters as digital_counters
from .errors import Forbidden, Invalid, NotFound
from .hamlets import HAMLET_MAX
from .holder_counters import Holder
from .models import AuditEvent, Citizen, DigitalAttainment, Ward
from .names import normalise
from .vocabulary import AttainmentState, Entity, Event, Role


def clean_hamlet(text: str | None) -> str | None:
    """A tổ dân phố/thôn as given, spaces tidied; None when empty. Raises Invalid when too long."""
    value = normalise(text or "")
    if len(value) > HAMLET_MAX:
        raise Invalid(fields={"hamlet": "too_long"})
    return value or None


def move(session: Session, actor: Actor, cccd: str, ward_code: str, hamlet: str | None) -> tuple[Citizen, bool]:
    """Record that the citizen with this CCCD now lives in ward_code (and hamlet, None when unknown); returns the
    citizen and whether anything changed. City administrators and the system only."""
    if actor.role not in (Role.CITY_ADMIN, Role.SYSTEM):
        raise Forbidden("role_not_allowed")
    place = clean_hamlet(hamlet)
    ward = session.get(Ward, ward_code)
    if ward is None or not ward.active:
        raise Invalid(fields={"ward_code": "unknown_ward"})
    # In the new ward's list where it has one (codes repeat from ward to ward: the old code must not follow them).
    where = hamlets.place(session, ward.code, place)
    place = where.name
    # The citizen's row locked first (PostgreSQL: FOR NO KEY UPDATE), as every change of their holdings does.
    citizen = session.exec(select(Citizen).where(col(Citizen.cccd) == cccd).with_for_update(key_share=True)
                           .execution_options(populate_existing=True)).first()
    if citizen is None:
        raise NotFound()
    before = Holder(citizen.ward_code, citizen.target_group, citizen.sex, citizen.date_of_birth.year, citizen.hamlet)
    if (citizen.ward_code, citizen.hamlet, citizen.hamlet_code) == (ward.code, place, where.code):
        return citizen, False
    citizen.ward_code, citizen.hamlet, citizen.hamlet_code = ward.code, place, where.code
    session.add(citizen)
    session.flush()
    digital_counters.citizen_changed(session, citizen, before)
    if before.ward_code != ward.code:
        # Records waiting for verification and verified ones go to the new ward's staff (who verify or revoke them
        # from now on); those dealt with stay where they were decided. The version moves, so that a page the old
        # ward still has open cannot act on them.
        session.execute(update(DigitalAttainment).where(
            col(DigitalAttainment.citizen_id) == citizen.id,
            col(DigitalAttainment.state).in_([AttainmentState.PENDING.value, AttainmentState.VERIFIED.value]))
            .values(ward_code=ward.code, version=DigitalAttainment.version + 1))
    session.add(AuditEvent(actor_id=actor.user_id, actor_role=actor.role.value, entity_type=Entity.CITIZEN.value,
                           entity_id=citizen.id, event=Event.MOVE.value,
                           detail={"from_ward": before.ward_code, "to_ward": ward.code,
                                   "hamlet_changed": before.hamlet != place}))
    session.flush()
    return citizen, True
