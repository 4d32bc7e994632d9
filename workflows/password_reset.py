"""A forgotten password, reset by e-mail: the citizen names their account (CCCD number or e-mail address); if it
has an e-mail address, a link valid for an hour is sent there. The answer on screen is the same whether or not such
an account exists, so the form tells no one who is registered. The link works once: it carries a fingerprint of
the current password, which the reset changes. Without an address, the ward gives a new activation code at its
desk (workflows.assisted.reissue).

The link's token is signed by the caller (webapp.password_links) with the app's secret; this module says which
account a request names, and sets the new password."""

import hashlib

from sqlmodel import Session, col, select

from . import accounts
from . import cccd as cccd_rules
from .clock import now
from .effects import Effect, EffectKind, emit
from .errors import Invalid
from .models import AuditEvent, Citizen, User
from .passwords import hash_password
from .vocabulary import Entity, Event, Role

VALID_FOR_S = 3600


def fingerprint(user: User) -> str:
    """Changes when the password or the session version does: a link made before either no longer works."""
    return hashlib.sha256(f"{user.password_hash}:{user.session_version}".encode()).hexdigest()[:20]


def request_reset(session: Session, who: str) -> None:
    """Queue the reset e-mail for the active citizen account named by CCCD number or e-mail address, if it has an
    address; do nothing otherwise (the caller answers the same either way)."""
    named = (Citizen.email == who.strip().lower()) if "@" in who else (User.username == cccd_rules.clean(who))
    user_id = session.exec(select(User.id).join(Citizen, col(Citizen.user_id) == col(User.id)).where(
        named, col(Citizen.email).is_not(None), User.role == Role.CITIZEN.value, col(User.active).is_(True))).first()
    if user_id is not None:
        emit(session, Effect(EffectKind.SEND_PASSWORD_RESET, user_id))


def set_new_password(session: Session, user_id: str, mark: str, password: str) -> User:
    """Set the password of the account a valid link names, if the link is still current (Invalid otherwise); every
    session and API token of the account ends."""
    user = session.get(User, user_id)
    if user is None or not user.active or fingerprint(user) != mark:
        raise Invalid(fields={"password": "reset_link_used"})
    refused = accounts.password_problem(session, user, password)
    if refused:
        raise Invalid(fields={"password": refused})
    moment = now()
    user.password_hash = hash_password(password)
    accounts.end_every_session(session, user, moment)
    session.add(AuditEvent(at=moment, actor_id=user.id, actor_role=user.role, entity_type=Entity.USER.value,
                           entity_id=user.id, event=Event.CHANGE.value, detail={"change": "password_reset",
                                                                                "channel": "email"}))
    session.flush()
    return user
