"""A citizen's consents, one row per purpose, and their requests to correct or delete their data (Law 91/2025/QH15,
ADR 41)."""

from datetime import date, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from ..clock import now
from .ids import new_id

OPEN = text("state = 'open'")


class ConsentRecord(SQLModel, table=True):
    """One purpose a citizen consented to, under which version of the consent text (workflows/consent.py), how
    (online: the citizen ticked the box; paper: they signed the form at the ward), through which account (their own,
    or the official who registered them), and when it was withdrawn, if it was."""

    __tablename__ = "consent_record"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    citizen_id: str = Field(foreign_key="citizen.id", max_length=32, index=True)
    purpose: str = Field(max_length=30)
    text_version: str = Field(max_length=20)
    channel: str = Field(max_length=10)  # "online" or "paper"
    reference: str | None = Field(default=None, max_length=100)  # the paper form's number, when noted
    given_at: datetime = Field(default_factory=now)
    given_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
    withdrawn_at: datetime | None = None


class PrivacyRequest(SQLModel, table=True):
    """A citizen's request to correct or delete their data, due two working days after it was filed; closed by the
    staff of the citizen's ward with an outcome the citizen reads."""

    __tablename__ = "privacy_request"
    __table_args__ = (
        # The ward's open requests by deadline (the staff's list); the citizen's own requests by citizen_id.
        Index("ix_privacy_request_ward_open", "ward_code", "due_on", "filed_at", postgresql_where=OPEN,
              sqlite_where=OPEN),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    citizen_id: str = Field(foreign_key="citizen.id", max_length=32, index=True)
    ward_code: str = Field(foreign_key="ward.code", max_length=5)  # the citizen's ward when it was filed
    kind: str = Field(max_length=20)  # "correction" or "deletion"
    field: str | None = Field(default=None, max_length=30)  # for a correction: which field
    text: str = Field(max_length=2000)
    filed_at: datetime = Field(default_factory=now)
    due_on: date
    state: str = Field(default="open", max_length=10)  # open, done, refused
    outcome: str | None = Field(default=None, max_length=2000)  # what was done, or why it was refused
    closed_at: datetime | None = None
    closed_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
