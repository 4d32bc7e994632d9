"""A ward official finds an application by what the person at the counter holds: their CCCD card (an exact match on
the identity number, which the page never shows or puts in an address) or the 8-character reference on their
receipt. Only an application the official may see is found; any other answer is "not found", so the lookup tells
nothing about other wards."""

from sqlmodel import Session, col, select

from . import cccd as cccd_rules
from . import references
from .access import may_see_application
from .actors import Actor
from .models import Application, Citizen
from .vocabulary import ApplicationState


def find_application(session: Session, actor: Actor, number: str) -> Application | None:
    """The newest submitted (or later) application the actor may see whose holder has this identity number, or
    whose reference this is; None otherwise. One indexed read either way."""
    compact = "".join(number.split())
    if compact.isdigit():
        stmt = (select(Application).join(Citizen, col(Citizen.id) == col(Application.citizen_id))
                .where(Citizen.cccd == cccd_rules.clean(compact)))
    else:
        reference = references.normalise(number)
        if reference is None:
            return None
        stmt = select(Application).where(Application.reference == reference)
    candidates = session.exec(stmt.where(col(Application.state) != ApplicationState.DRAFT)
                              .order_by(col(Application.year).desc())).all()
    return next((a for a in candidates if may_see_application(actor, a)), None)
