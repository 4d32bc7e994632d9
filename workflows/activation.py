"""One-time activation codes: how a citizen registered by ward staff (đăng ký hộ) sets their first password (ADR 25).

Such an account is created with an unusable password. The staff member is shown a code once (to print or copy onto
the receipt given to the citizen); only its SHA-256, salted with the account's id, is stored. The citizen enters the
code with their CCCD on `/activate` and chooses a password: the code is used up (a conditional update, so two
attempts at once cannot both use it), and it stops working 14 days after it was made. A wrong CCCD, a wrong, used or
expired code all get the same answer.
"""

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from . import accounts, clock
from . import cccd as cccd_rules
from .errors import Invalid
from .models import ActivationCode, AuditEvent, User
from .models.ids import new_id
from .passwords import hash_password
from .passwords import problem as password_problem
from .validation import FieldErrors
from .vocabulary import Entity, Event

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed from paper
LENGTH = 10  # 31^10, about 2^49.5: out of reach of guessing at the login's rate limit
LIFETIME = timedelta(days=14)


@dataclass(frozen=True)
class Issued:
    """A code as shown once to the staff member."""

    code: str  # grouped for reading: ABCDE-FGHJK
    expires_at: datetime


def _digest(user_id: str, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{code}".encode()).hexdigest()


def clean(raw: str) -> str:
    """The code as typed, without spaces or hyphens, in capitals."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def code_row(user_id: str, created_by: str | None, at: datetime) -> tuple[Issued, dict[str, Any]]:
    """A new code for an account: what the staff member is shown, and the row that stores its hash."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    expires_at = at + LIFETIME
    row = {"id": new_id(), "user_id": user_id, "code_hash": _digest(user_id, code), "created_by": created_by,
           "created_at": at, "expires_at": expires_at, "used_at": None}
    return Issued(f"{code[:5]}-{code[5:]}", expires_at), row


def issue(session: Session, user_id: str, created_by: str | None) -> Issued:
    """Make and store a code for one account."""
    issued, row = code_row(user_id, created_by, clock.now())
    session.add(ActivationCode(**row))
    return issued


def activate(session: Session, data: Mapping[str, Any]) -> User:
    """Set the password of the account whose CCCD and unused, unexpired code are given (`cccd`, `code`,
    `password`); Invalid naming `code` when they do not match an account's code (the same answer for every reason)."""
    errors = FieldErrors()
    raw_cccd = errors.text(data, "cccd", 20)
    raw_code = errors.text(data, "code", 40)
    password = errors.secret(data, "password")
    if password is not None:
        refused = password_problem(password, cccd=cccd_rules.clean(raw_cccd or ""))
        if refused:
            errors["password"] = refused
    if errors:
        raise errors.invalid()
    assert raw_cccd and raw_code and password
    moment = clock.now()
    # A citizen names the account by their CCCD (typed with spaces or dots), a staff member by their username.
    names = {raw_cccd.strip(), cccd_rules.clean(raw_cccd)}
    user = session.exec(select(User).where(col(User.username).in_(names), col(User.active).is_(True))).first()
    code = clean(raw_code)
    found = None
    if user is not None:
        wanted = _digest(user.id, code)
        found = next((c for c in session.exec(select(ActivationCode).where(
            ActivationCode.user_id == user.id, col(ActivationCode.used_at).is_(None),
            col(ActivationCode.expires_at) > moment)) if hmac.compare_digest(c.code_hash, wanted)), None)
    # Used up by this request only: of two at once, the second finds it used.
    if user is None or found is None or session.execute(
            update(ActivationCode).where(col(ActivationCode.id) == found.id, col(ActivationCode.used_at).is_(None))
            .values(used_at=moment)).rowcount != 1:  # type: ignore[attr-defined]
        raise Invalid(fields={"code": "activation_code_invalid"})
    refused = accounts.password_problem(session, user, password)
    if refused:  # only now is the person known: their own details are not a password
        raise Invalid(fields={"password": refused})
    user.password_hash = hash_password(password)
    accounts.end_every_session(session, user, moment)  # a code reissued at the desk ends what the old password began
    session.add(AuditEvent(at=moment, actor_id=user.id, actor_role=user.role, entity_type=Entity.USER.value,
                           entity_id=user.id, event=Event.ACTIVATE.value, detail={}))
    session.flush()
    return user
