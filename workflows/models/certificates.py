"""Recognition decisions and the certificates they earn."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ..clock import now
from .ids import new_id


class Decision(SQLModel, table=True):
    """A ward chair's 'Quyết định công nhận' for a year."""

    # Numbers restart every calendar year (Nghị định 30/2020): "125/QĐ-UBND" signed in 2026 is not the one signed
    # in 2025. A number belongs to the year of signing, which may follow the year recognised (signed in January).
    __table_args__ = (UniqueConstraint("ward_code", "number_year", "number",
                                       name="uq_decision_ward_number_year_number"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    ward_code: str = Field(foreign_key="ward.code", max_length=5, index=True)
    year: int
    number: str = Field(max_length=40)
    number_year: int  # the calendar year of signed_on, the year the number belongs to
    signed_on: date
    signer_name: str = Field(max_length=200)
    created_by: str = Field(foreign_key="app_user.id", max_length=32)
    created_at: datetime = Field(default_factory=now)
    # The decision document, its PDF with the attached list (ADR 30): None for a decision recorded before it existed;
    # "queued" until a worker stores it write-once, then "issued" with its key and SHA-256.
    document_status: str | None = Field(default=None, max_length=10)
    document_key: str | None = Field(default=None, max_length=200)
    document_sha256: str | None = Field(default=None, max_length=64)
    document_queued_at: datetime | None = None  # when its render was last re-sent by the sweeper (None: created_at)
    document_resends: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # by the sweeper, at most 5


class Certificate(SQLModel, table=True):
    """One 'Giấy công nhận'; written in the decision's transaction, rendered by a worker."""

    __table_args__ = (
        Index("ix_certificate_status_queued_at", "status", "queued_at"),
        Index("ix_certificate_ward_year_status", "ward_code", "year", "status"),
        # Only live certificates count in roll-ups: a partial index the count can be answered from alone.
        Index("ix_certificate_live_rollup", "year", "title_type", "ward_code",
              sqlite_where=text("live_key IS NOT NULL"), postgresql_where=text("live_key IS NOT NULL")),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    code: str = Field(max_length=16, unique=True)
    register_number: str = Field(max_length=40, unique=True)
    application_id: str = Field(foreign_key="application.id", max_length=32, index=True)
    citizen_id: str = Field(foreign_key="citizen.id", max_length=32, index=True)
    decision_id: str = Field(foreign_key="decision.id", max_length=32, index=True)
    ward_code: str = Field(foreign_key="ward.code", max_length=5)
    title_type: str = Field(max_length=20)
    year: int
    status: str = Field(max_length=20)
    version: int = 1
    # "citizen:title:year" while the certificate is live, NULL once revoked or superseded: the unique
    # constraint then allows exactly one live certificate per citizen, title and year on both databases.
    live_key: str | None = Field(default=None, max_length=80, unique=True)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    storage_key: str | None = Field(default=None, max_length=200)
    sha256: str | None = Field(default=None, max_length=64)
    signature: str | None = Field(default=None, max_length=200)
    key_id: str | None = Field(default=None, max_length=32)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    queued_at: datetime = Field(default_factory=now)
    claimed_at: datetime | None = None
    issued_at: datetime | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = Field(default=None, max_length=500)
    # Reissue after a correction (ADR 28): the new certificate names the one it supersedes (at most one successor
    # each), and the superseded one names its successor.
    supersedes: str | None = Field(default=None, foreign_key="certificate.id", max_length=32, unique=True)
    superseded_by: str | None = Field(default=None, foreign_key="certificate.id", max_length=32)
    superseded_at: datetime | None = None
