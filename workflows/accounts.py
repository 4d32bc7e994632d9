"""Accounts: creation, password sign-in with rehash, bearer tokens stored hashed."""

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, and_, col, or_, select

from . import cccd as cccd_rules
from . import passwords
from .actors import ROLES, WARD_SCOPED, Actor
from .clock import now
from .errors import Conflict, Invalid
from .models import ApiToken, AuditEvent, Citizen, User, Ward
from .passwords import dummy_hash, hash_password, is_usable, needs_rehash, verify_password
from .vocabulary import Entity, Event, Role

TOKEN_LIFETIME = timedelta(hours=12)
# A staff username: no spaces, not twelve digits and no leading "~", which only a citizen's (their CCCD, stored
# sealed: ADR 42) may look like.
STAFF_USERNAME = re.compile(r"(?![0-9]{12}$)(?!~)\S{1,64}")


def create_user(
    session: Session, *, username: str, password: str, role: str, ward_code: str | None = None,
    display_name: str = "", cccd: str | None = None, password_hash: str | None = None, by: Actor | None = None,
) -> User:
    """Create a login; ward staff must name an existing ward; staff may give their own CCCD. A `password_hash`
    given (an unusable one, for a citizen registered by ward staff: ADR 25) is stored instead of hashing `password`;
    `by` is who creates the account (the system when not given)."""
    errors: dict[str, str] = {}
    if cccd is not None:
        cccd = cccd_rules.clean(cccd)
        problem = cccd_rules.check(cccd)
        if problem:
            errors["cccd"] = problem
        elif role != Role.CITIZEN and session.exec(select(User.id).where(User.cccd == cccd)).first():
            errors["cccd"] = "cccd_exists"
    if role not in ROLES:
        errors["role"] = "invalid_choice"
    if role in WARD_SCOPED and (not ward_code or session.get(Ward, ward_code) is None):
        errors["ward"] = "unknown_ward"
    if password_hash is None:
        refused = passwords.problem(password, cccd=cccd, name=display_name, others=[username])
        if refused:
            errors["password"] = refused
    if not username or len(username) > 64:
        errors["username"] = "required"
    elif role != Role.CITIZEN and not STAFF_USERNAME.fullmatch(username):
        errors["username"] = "username_format"  # twelve digits would be stored sealed, as a citizen's CCCD is
    if errors:
        raise Invalid(fields=errors)
    if session.exec(select(User.id).where(User.username == username)).first():
        raise Conflict("username_exists", fields={"username": "username_exists"})
    user = User(username=username, password_hash=password_hash or hash_password(password), role=role,
                ward_code=ward_code if role in WARD_SCOPED else None, display_name=display_name or username,
                cccd=cccd if role != Role.CITIZEN else None)
    session.add(user)
    session.flush()
    session.add(AuditEvent(actor_id=by.user_id if by else None, actor_role=by.role if by else Role.SYSTEM,
                           entity_type=Entity.USER, entity_id=user.id, event=Event.CREATE,
                           detail={"role": role, "ward_code": user.ward_code}))
    return user


security_log = logging.getLogger("cdht.security")  # security events, never with what a person typed or is
UNKNOWN_ACCOUNT = "-"  # the audited entity of a sign-in for no account: what was typed is not kept (it may be a CCCD)


def account_event(session: Session, user: User | None, event: Event, detail: dict[str, Any]) -> None:
    """Audit what happened to an account's access: the account acts on itself (or no account at all)."""
    session.add(AuditEvent(actor_id=user.id if user else None, actor_role=user.role if user else Role.SYSTEM,
                           entity_type=Entity.USER, entity_id=user.id if user else UNKNOWN_ACCOUNT, event=event,
                           detail=detail))
    if event == Event.SIGN_IN_FAILED:
        security_log.warning("sign-in refused: account=%s reason=%s channel=%s",
                             user.id if user else UNKNOWN_ACCOUNT, detail["reason"], detail["channel"])


def password_problem(session: Session, user: User, password: str) -> str | None:
    """Why `password` may not be this account's new password (workflows.passwords.problem), measured against the
    person's own details: their citizen profile (CCCD, name, date of birth), their username and name."""
    profile = session.exec(select(Citizen).where(or_(
        col(Citizen.user_id) == user.id, and_(col(Citizen.cccd) == user.cccd, col(Citizen.cccd).is_not(None))))
    ).first()
    return passwords.problem(password, cccd=profile.cccd if profile else user.cccd,
                             name=profile.full_name if profile else user.display_name,
                             born=profile.date_of_birth if profile else None, others=[user.username])


def authenticate(session: Session, username: str, password: str, channel: str = "page") -> User | None:
    """Return the active user whose password matches, rehashing stale hashes; None otherwise. Either way the
    attempt is audited (`channel`: page or api), so the caller commits even a refusal."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active or not is_usable(user.password_hash):
        verify_password(dummy_hash(), password)  # same work either way (an account not yet activated too)
        reason = "unknown_account" if user is None else "inactive" if not user.active else "not_activated"
        account_event(session, user, Event.SIGN_IN_FAILED, {"channel": channel, "reason": reason})
        return None
    if not verify_password(user.password_hash, password):
        account_event(session, user, Event.SIGN_IN_FAILED, {"channel": channel, "reason": "password"})
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    # An account with two-step sign-in is not signed in yet: its code is asked next (workflows.two_factor, ADR 39).
    second_step = user.totp_enrolled_at is not None
    account_event(session, user, Event.PASSWORD_ACCEPTED if second_step else Event.SIGN_IN, {"channel": channel})
    return user


def change_password(session: Session, user_id: str, current: str, new: str, channel: str = "page") -> User:
    """A signed-in person's new password: the current one first (Invalid `current_password_wrong`; the caller's
    per-account limit counts these), then the policy and a new one different from it. Every session and API token
    of the account ends, this one too: the page signs its own session in again. Audited as a change."""
    user = session.get(User, user_id)
    if user is None or not user.active or not verify_password(user.password_hash, current):
        raise Invalid(fields={"current_password": "current_password_wrong"})
    refused = password_problem(session, user, new)
    if refused is None and verify_password(user.password_hash, new):
        refused = "password_unchanged"
    if refused:
        raise Invalid(fields={"password": refused})
    moment = now()
    user.password_hash = hash_password(new)
    end_every_session(session, user, moment)
    session.add(AuditEvent(at=moment, actor_id=user.id, actor_role=user.role, entity_type=Entity.USER.value,
                           entity_id=user.id, event=Event.CHANGE.value,
                           detail={"change": "password", "channel": channel}))
    session.flush()
    return user


def end_every_session(session: Session, user: User, moment: datetime) -> None:
    """Sign the account out everywhere: every cookie session (the session version moves on) and every API token
    (revoked). After a new password, an activation, a disabled account."""
    user.session_version += 1
    session.add(user)
    session.execute(update(ApiToken).where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
                    .values(revoked_at=moment))


def sign_out(session: Session, user_id: str) -> None:
    """End the user's cookie sessions: the session version moves on, so no copy of the cookie signs in again."""
    user = session.get(User, user_id)
    if user is None:
        return
    user.session_version += 1
    session.add(user)
    account_event(session, user, Event.SIGN_OUT, {"channel": "page"})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User) -> tuple[str, datetime]:
    """Create a bearer token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires_at = now() + TOKEN_LIFETIME
    row = ApiToken(user_id=user.id, token_hash=_digest(token), expires_at=expires_at)
    session.add(row)
    account_event(session, user, Event.TOKEN_ISSUE, {"token_id": row.id, "expires_at": expires_at.isoformat()})
    return token, expires_at


@cache  # the same construct every time: built once (SQLAlchemy caches its compiled form by structure)
def profile_of_user() -> Any:
    """The citizen profile of the user row of the enclosing query, as a scalar subquery: a citizen's own, or for
    staff the profile registered with their CCCD (the same person); NULL when there is none."""
    person = or_(col(Citizen.user_id) == col(User.id),
                 and_(col(User.cccd).is_not(None), col(Citizen.cccd) == col(User.cccd)))
    return select(Citizen.id).where(person).limit(1).scalar_subquery()


def actor_of(user: User, citizen_id: str | None) -> Actor:
    """The Actor of a user whose citizen profile (if any) is known."""
    scope = tuple(user.hamlet_scope) if user.hamlet_scope is not None and user.role == Role.WARD_REVIEWER else None
    return Actor(user_id=user.id, role=Role(user.role), ward_code=user.ward_code, citizen_id=citizen_id,
                 hamlets=scope)


def session_user(session: Session, user_id: str) -> tuple[User, str | None, str | None] | None:
    """A user, their citizen profile id and the name of a staff member's ward, in one statement (every signed-in
    page asks this, and its header names the ward)."""
    ward = select(Ward.name).where(col(Ward.code) == col(User.ward_code)).scalar_subquery()
    row = session.exec(select(User, profile_of_user(), ward).where(User.id == user_id)).first()
    return (row[0], row[1], row[2]) if row is not None else None


def token_actor(session: Session, token: str) -> Actor | None:
    """Resolve a bearer token to its active user's Actor in one statement; None when unknown, expired or revoked."""
    row = session.exec(select(ApiToken, User, profile_of_user()).join(User, col(User.id) == col(ApiToken.user_id))
                       .where(ApiToken.token_hash == _digest(token))).first()
    if row is None:
        return None
    found, user, citizen_id = row
    if found.revoked_at is not None or found.expires_at <= now() or not user.active:
        return None
    return actor_of(user, citizen_id)


def revoke_token(session: Session, token: str) -> bool:
    """Revoke a bearer token; True if it existed."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now()
    session.add(row)
    account_event(session, session.get(User, row.user_id), Event.TOKEN_REVOKE, {"token_id": row.id})
    return True


def city_operator(session: Session, username: str) -> Actor:
    """The city administrator a command names as its operator (`--by`), so that the audit trail says who it was."""
    user = session.exec(select(User).where(User.username == username.strip(), User.role == Role.CITY_ADMIN,
                                           col(User.active).is_(True))).first()
    if user is None:
        raise Invalid(fields={"by": "unknown_operator"})
    return actor_of(user, None)
