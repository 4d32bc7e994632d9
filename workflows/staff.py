"""Staff accounts as a city administrator manages them: list them by ward and role, create one (the person chooses
their password with a one-time activation code, as a citizen registered at the desk does), and disable or enable
one (a disabled account is signed out everywhere and its API tokens are revoked). Audited under the administrator."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from . import activation
from .accounts import create_user, end_every_session
from .actors import WARD_SCOPED, Actor
from .clock import now
from .errors import Forbidden, Invalid, NotFound
from .models import AuditEvent, User
from .passwords import unusable_hash
from .vocabulary import Entity, Event, Role

STAFF_ROLES = (Role.WARD_REVIEWER, Role.WARD_CHAIR, Role.CENTRE_STAFF, Role.CITY_ADMIN)
LISTED = 200


def _admin(actor: Actor) -> None:
    if actor.role != Role.CITY_ADMIN:
        raise Forbidden("role_not_allowed")


def listing(session: Session, actor: Actor, *, ward_code: str | None = None, role: str | None = None) -> list[User]:
    """Staff accounts, by ward, role and username; at most LISTED (a ward or a role narrows the list)."""
    _admin(actor)
    stmt = select(User).where(col(User.role).in_([r.value for r in STAFF_ROLES]))
    if ward_code:
        stmt = stmt.where(User.ward_code == ward_code)
    if role:
        stmt = stmt.where(User.role == role)
    return list(session.exec(stmt.order_by(col(User.ward_code), col(User.role), col(User.username)).limit(LISTED)))


@dataclass(frozen=True)
class Created:
    """A new staff account and the activation code to hand to its holder (shown once)."""

    user: User
    code: str


def create(session: Session, actor: Actor, *, username: str, display_name: str, role: str, ward_code: str | None,
           cccd: str | None) -> Created:
    """A staff account without a password yet, and its activation code. Ward staff must be given their own CCCD, so
    that they can never review or decide their own application."""
    _admin(actor)
    errors: dict[str, str] = {}
    if role not in [r.value for r in STAFF_ROLES]:
        errors["role"] = "invalid_choice"
    if role in WARD_SCOPED and not cccd:
        errors["cccd"] = "required"
    if not display_name.strip():
        errors["display_name"] = "required"
    if errors:
        raise Invalid(fields=errors)
    user = create_user(session, username=username.strip(), password="", role=role, ward_code=ward_code,
                       display_name=display_name.strip(), cccd=cccd or None, password_hash=unusable_hash(), by=actor)
    return Created(user, activation.issue(session, user.id, actor.user_id).code)


def set_active(session: Session, actor: Actor, user_id: str, active: bool) -> User:
    """Disable (signed out everywhere, tokens revoked) or enable a staff account; an administrator cannot disable
    their own account."""
    _admin(actor)
    user = session.get(User, user_id)
    if user is None or user.role not in [r.value for r in STAFF_ROLES]:
        raise NotFound()
    if user.id == actor.user_id and not active:
        raise Invalid(fields={"user": "own_account"})
    if user.active == active:
        return user
    moment = now()
    user.active = active
    end_every_session(session, user, moment)
    session.add(AuditEvent(at=moment, actor_id=actor.user_id, actor_role=actor.role, entity_type=Entity.USER.value,
                           entity_id=user.id, event=Event.CHANGE.value,
                           detail={"change": "enabled" if active else "disabled"}))
    session.flush()
    return user
