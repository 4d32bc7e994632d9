"""Two-step sign-in for staff (ADR 39): a code from an authenticator app (workflows.totp) after the password, or one
of ten recovery codes. Enrolment, the second step, the staff member's own turning off, and the city administrator's
reset. The secret is sealed (AES-GCM, bound to the account) with a key the caller passes, so that the database alone
does not give it away; it never goes into the audit trail or a log. Citizens are never asked."""

import base64
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import CursorResult, delete, or_, update
from sqlmodel import Session, col, func, select

from . import clock, totp
from .accounts import account_event, actor_of, end_every_session
from .activation import ALPHABET
from .actors import Actor
from .errors import Forbidden, Invalid, NotFound
from .models import AuditEvent, RecoveryCode, User
from .passwords import hash_password, verify_password
from .vocabulary import Entity, Event, Role

PENDING_LIFETIME = timedelta(minutes=5)  # from the password to the code: longer, and the password is asked again
RECOVERY_CODES = 10
RECOVERY_LENGTH = 10  # 31^10, about 2^49.5 each
_SEALED = "v1."


def is_staff(user: User) -> bool:
    """Every role but the citizen's signs in with two steps once enrolled."""
    return user.role not in (Role.CITIZEN, Role.SYSTEM)


def enrolled(user: User) -> bool:
    """Whether the account's sign-in asks for a code after the password."""
    return user.totp_enrolled_at is not None


def must_enrol(user: User, required: bool) -> bool:
    """A staff member who may do nothing but enrol (STAFF_TOTP_REQUIRED and not enrolled yet)."""
    return required and is_staff(user) and not enrolled(user)


def seal(key: bytes, user_id: str, secret: str) -> str:
    """The secret encrypted for storage (AES-256-GCM, the account id as associated data: a sealed secret copied to
    another account's row opens nowhere)."""
    nonce = os.urandom(12)
    return _SEALED + base64.b64encode(nonce + AESGCM(key).encrypt(nonce, secret.encode(), user_id.encode())).decode()


def unseal(key: bytes, user_id: str, sealed: str) -> str | None:
    """The secret back, or None for a row sealed with another key (TOTP_KEY or SECRET_KEY changed: reset it)."""
    if not sealed.startswith(_SEALED):
        return None
    try:
        raw = base64.b64decode(sealed[len(_SEALED):], validate=True)
        return AESGCM(key).decrypt(raw[:12], raw[12:], user_id.encode()).decode()
    except (InvalidTag, ValueError):
        return None


@dataclass(frozen=True)
class Setup:
    """What the enrolment page shows: the key as a QR code (the URI) and in groups for typing."""

    uri: str
    grouped: str


def start(session: Session, user: User, key: bytes) -> Setup:
    """A new secret for the staff member to add to their app, kept on their row until a code from it confirms it."""
    if not is_staff(user):
        raise Forbidden("role_not_allowed")
    if enrolled(user):
        raise Invalid(fields={"code": "two_factor_on"})
    secret = totp.new_secret()
    user.totp_secret = seal(key, user.id, secret)
    session.add(user)
    return Setup(uri=totp.uri(secret, user.username), grouped=totp.grouped(secret))


def setup_of(user: User, key: bytes) -> Setup | None:
    """The secret waiting for its first code, as the enrolment page shows it again; None when there is none."""
    secret = unseal(key, user.id, user.totp_secret) if user.totp_secret and not enrolled(user) else None
    return Setup(uri=totp.uri(secret, user.username), grouped=totp.grouped(secret)) if secret else None


def _audit(session: Session, by: Actor, user: User, event: Event, detail: dict[str, Any]) -> None:
    session.add(AuditEvent(actor_id=by.user_id, actor_role=by.role,
                           entity_type=Entity.USER, entity_id=user.id, event=event, detail=detail))


def _new_recovery_codes(session: Session, user: User, moment: datetime) -> list[str]:
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_password(code), created_at=moment) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _changed(result: Any) -> bool:
    """Whether a guarded UPDATE changed its row (False: a concurrent request got there first)."""
    return cast(CursorResult[Any], result).rowcount == 1


def _accept_step(session: Session, user: User, step: int) -> bool:
    """Record the step as used, unless a concurrent request used it (or a later one) first: a code works once."""
    return _changed(session.execute(update(User).where(col(User.id) == user.id, or_(
        col(User.totp_last_step).is_(None), col(User.totp_last_step) < step)).values(totp_last_step=step)))


def _totp_step(user: User, key: bytes, code: str) -> int | None:
    secret = unseal(key, user.id, user.totp_secret) if user.totp_secret else None
    return totp.matching_step(secret, code, clock.now(), user.totp_last_step) if secret else None


def confirm(session: Session, user: User, key: bytes, code: str) -> list[str]:
    """The first code from the app turns two-step sign-in on; the ten recovery codes are returned, to be shown once
    (only their hashes are kept). The account's other sessions and API tokens end; the caller signs this one in
    again."""
    if enrolled(user) or not user.totp_secret:
        raise Invalid(fields={"code": "two_factor_on" if enrolled(user) else "two_factor_not_started"})
    step = _totp_step(user, key, code)
    if step is None or not _accept_step(session, user, step):
        raise Invalid(fields={"code": "otp_invalid"})
    moment = clock.now()
    user.totp_enrolled_at = moment
    codes = _new_recovery_codes(session, user, moment)
    end_every_session(session, user, moment)
    _audit(session, actor_of(user, None), user,
           Event.TWO_FACTOR_ENROL, {"recovery_codes": RECOVERY_CODES})
    return codes


def _recovery_code(session: Session, user: User, typed: str) -> bool:
    clean = "".join(ch for ch in typed.upper() if ch.isalnum())
    if len(clean) != RECOVERY_LENGTH or any(ch not in ALPHABET for ch in clean):
        return False
    for row in session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                       col(RecoveryCode.used_at).is_(None))):
        if verify_password(row.code_hash, clean):
            return _changed(session.execute(update(RecoveryCode).where(
                col(RecoveryCode.id) == row.id, col(RecoveryCode.used_at).is_(None)).values(used_at=clock.now())))
    return False


def _second_factor(session: Session, user: User, key: bytes, code: str) -> str | None:
    """Which factor the code is ("totp" or "recovery_code"), used up; None when it is neither."""
    if not enrolled(user):
        return None
    typed = "".join(code.split())
    if len(typed) == totp.DIGITS and typed.isdigit():
        step = _totp_step(user, key, typed)
        return "totp" if step is not None and _accept_step(session, user, step) else None
    return "recovery_code" if _recovery_code(session, user, typed) else None


def recovery_codes_left(session: Session, user: User) -> int:
    """How many of the account's recovery codes are still unused."""
    return int(session.exec(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None))).one())


def second_step(session: Session, user: User, key: bytes, code: str, channel: str = "page") -> bool:
    """The code after the password: the sign-in is complete (audited, with the factor) or refused (audited as a
    refused sign-in, reason "otp"). A recovery code is audited as used, with how many are left."""
    factor = _second_factor(session, user, key, code)
    if factor is None:
        account_event(session, user, Event.SIGN_IN_FAILED, {"channel": channel, "reason": "otp"})
        return False
    if factor == "recovery_code":
        account_event(session, user, Event.RECOVERY_CODE_USE,
                      {"channel": channel, "left": recovery_codes_left(session, user)})
    account_event(session, user, Event.SIGN_IN, {"channel": channel, "factor": factor})
    return True


def pending_user(session: Session, user_id: str, session_version: int, since: datetime) -> User | None:
    """The account a password step named, while it may still give its code: active, the same session version
    (no new password, reset or sign-out everywhere since) and within PENDING_LIFETIME."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_version != session_version or not enrolled(user):
        return None
    return user if timedelta(0) <= clock.now() - since <= PENDING_LIFETIME else None


def _clear(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    end_every_session(session, user, clock.now())


def disable(session: Session, user: User, key: bytes, code: str, *, required: bool) -> None:
    """The staff member turns two-step sign-in off with a current code (or a recovery code); refused while the city
    requires it. Every session and token of the account ends."""
    if required:
        raise Invalid(fields={"code": "two_factor_required"})
    if _second_factor(session, user, key, code) is None:
        account_event(session, user, Event.SIGN_IN_FAILED, {"channel": "page", "reason": "otp"})
        raise Invalid(fields={"code": "otp_invalid"})
    _clear(session, user)
    _audit(session, actor_of(user, None), user,
           Event.TWO_FACTOR_DISABLE, {})


def reset(session: Session, by: Actor, user_id: str) -> User:
    """A city administrator (or the operator's command, as the system) resets a staff member's two-step sign-in, after
    checking who they are in person: the secret and recovery codes are gone, every session and token ends, and the
    next sign-in enrols afresh."""
    if by.role not in (Role.CITY_ADMIN, Role.SYSTEM):
        raise Forbidden("role_not_allowed")
    user = session.get(User, user_id)
    if user is None or not is_staff(user):
        raise NotFound()
    was = "enrolled" if enrolled(user) else "pending" if user.totp_secret else "none"
    _clear(session, user)
    _audit(session, by, user, Event.TWO_FACTOR_RESET, {"was": was})
    session.flush()
    return user
