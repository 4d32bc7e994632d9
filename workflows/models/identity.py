"""Wards, accounts, citizens' profiles and API tokens."""

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..clock import now
from ..identity_seal import IdentityNumber
from .ids import new_id


class Ward(SQLModel, table=True):
    """A commune-level unit (phường/xã) with its official 5-digit code."""

    code: str = Field(primary_key=True, max_length=5)
    name: str = Field(max_length=120)
    division_type: str = Field(max_length=20)  # "phường" or "xã"
    province_code: str = Field(max_length=2, index=True)
    active: bool = True
    # Who issues and signs the ward's papers (workflows/signers.py): None and "tm" mean the defaults derived from the
    # name, "ỦY BAN NHÂN DÂN / PHƯỜNG BA ĐÌNH" signed "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH";
    # "kt": "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH".
    issuer_name: str | None = Field(default=None, max_length=120)
    signing_mode: str = Field(default="tm", max_length=2, sa_column_kwargs={"server_default": "tm"})
    signer_title: str | None = Field(default=None, max_length=60)


class User(SQLModel, table=True):
    """A login: citizen (username = CCCD), ward reviewer, ward chair or city administrator."""

    __tablename__ = "app_user"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    # A citizen's username is their CCCD, stored sealed like every identity number (ADR 42).
    username: str = Field(sa_column=Column(IdentityNumber(), unique=True, nullable=False))
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20, index=True)
    ward_code: str | None = Field(default=None, foreign_key="ward.code", max_length=5, index=True)
    display_name: str = Field(default="", max_length=200)
    # A staff member's own CCCD: links them to their citizen profile so they never review their own application.
    # Stored sealed (ADR 42).
    cccd: str | None = Field(default=None, sa_column=Column(IdentityNumber(), unique=True, nullable=True))
    # A ward reviewer of some tổ dân phố / thôn only (their codes); None: the whole ward (ADR 26).
    hamlet_scope: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    active: bool = True
    # Bumped to invalidate every cookie session of this user (password change, lock-out).
    session_version: int = 1
    created_at: datetime = Field(default_factory=now)
    # Two-factor sign-in for staff (ADR 39): the TOTP secret sealed with the TOTP key (never stored in clear), the
    # moment enrolment was confirmed (None while the secret only waits for its first code), and the last time step
    # accepted, so that a code works once.
    totp_secret: str | None = Field(default=None, max_length=255)
    totp_enrolled_at: datetime | None = None
    totp_last_step: int | None = None


class Citizen(SQLModel, table=True):
    """A citizen's profile, one per person, keyed by CCCD."""

    __table_args__ = (
        # A ward's citizens in the order of their folded name: the chair's list. (The queue's name search reads the
        # name kept on the application: ADR 12.)
        Index("ix_citizen_ward_name", "ward_code", "name_folded"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="app_user.id", unique=True, max_length=32)
    cccd: str = Field(sa_column=Column(IdentityNumber(), unique=True, nullable=False))  # stored sealed (ADR 42)
    full_name: str = Field(max_length=200)
    # Lower-case, diacritics removed: lets "Nguyen Van An" find "Nguyễn Văn An".
    name_folded: str = Field(max_length=200)
    date_of_birth: date
    sex: str = Field(max_length=6)
    ward_code: str = Field(foreign_key="ward.code", max_length=5)
    target_group: str = Field(max_length=20)
    # The tổ dân phố (urban) or thôn (rural) within the ward, as the citizen gave it; None when not given.
    hamlet: str | None = Field(default=None, max_length=100)
    hamlet_code: str | None = Field(default=None, max_length=20)  # in the ward's list, when it has one
    email: str | None = Field(default=None, max_length=254, index=True)  # lower case (a reset names it)
    phone: str | None = Field(default=None, max_length=20)
    consent_at: datetime
    consent_version: str = Field(max_length=20)
    # How consent was given: "online" (the citizen ticked the box) or "paper" (the citizen signed the paper form at
    # the ward, and a ward official registered them: ADR 25); the paper form's number when the official noted one.
    consent_channel: str = Field(default="online", max_length=10)
    consent_reference: str | None = Field(default=None, max_length=100)
    # The ward official who registered the citizen on their behalf (đăng ký hộ); None for self-registration.
    registered_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
    created_at: datetime = Field(default_factory=now)


class Hamlet(SQLModel, table=True):
    """A tổ dân phố (phường) or thôn (xã) of a ward, with the code the ward gives it; imported per ward from CSV."""

    __table_args__ = (UniqueConstraint("ward_code", "code", name="uq_hamlet_ward_code"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    ward_code: str = Field(foreign_key="ward.code", max_length=5)
    code: str = Field(max_length=20)
    name: str = Field(max_length=100)
    position: int = 0  # the order of the ward's list
    active: bool = True
    updated_at: datetime = Field(default_factory=now)


class ActivationCode(SQLModel, table=True):
    """A one-time code with which a citizen registered by ward staff sets their first password (ADR 25): shown once
    to the staff member, stored as a SHA-256 only, valid for 14 days, used up by the first activation."""

    __tablename__ = "activation_code"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="app_user.id", max_length=32, index=True)
    code_hash: str = Field(max_length=64)
    created_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
    created_at: datetime = Field(default_factory=now)
    expires_at: datetime
    used_at: datetime | None = None


class RecoveryCode(SQLModel, table=True):
    """One of a staff member's ten recovery codes, in place of a lost phone's code (ADR 39): shown once, stored as an
    argon2id hash, used up by its first sign-in."""

    __tablename__ = "recovery_code"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="app_user.id", max_length=32, index=True)
    code_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=now)
    used_at: datetime | None = None


class ApiToken(SQLModel, table=True):
    """A bearer token, stored as its SHA-256 only."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="app_user.id", max_length=32, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=now)
    expires_at: datetime
    revoked_at: datetime | None = None
