"""Digital skills: published framework versions, citizens' attainments and the counters of holders (ADR 15)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ..clock import now
from .ids import new_id


class DigitalFramework(SQLModel, table=True):
    """A framework version as published: its file's hash, so that published content can never change."""

    __tablename__ = "digital_framework"

    id: str = Field(primary_key=True, max_length=60)  # "code@version"
    code: str = Field(max_length=40)
    version: str = Field(max_length=20)
    publisher: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    registered_at: datetime = Field(default_factory=now)


# The records a ward reviewer verifies (workflows.digital.verification): pending course certificates and assessments.
TO_REVIEW = text("state = 'pending' AND kind IN ('certificate', 'assessment')")
ASSESSMENT = text("kind = 'assessment'")
LIVE_FILE = text("evidence_key IS NOT NULL AND state IN ('pending', 'verified')")
LIVE_ASSESSMENT = text("kind = 'assessment' AND state IN ('pending', 'verified')")
LIVE_PAPER = text("kind = 'assessment' AND external_id IS NOT NULL AND state IN ('pending', 'verified')")


class DigitalAttainment(SQLModel, table=True):
    """One record of a citizen's digital skills; its state changes only through workflows.states.apply_event.

    `counts` is decided by its framework version's rule when it is recorded, or when a reviewer verifies it at the
    level they read on a certificate (a self-assessment never counts); a verified attainment that counts makes its
    citizen a holder in each year from `first_year` to `last_year`.
    """

    __tablename__ = "digital_attainment"
    __table_args__ = (
        # An import row arriving again (the same file twice, a re-sent row) finds its attainment instead of a twin.
        UniqueConstraint("source", "external_id", name="uq_digital_attainment_source_external_id"),
        # A ward's records waiting for a reviewer, oldest first: only those a person verifies (a self-assessment
        # stays pending for ever and never enters this index, nor do the millions born verified by imports).
        Index("ix_digital_attainment_to_review", "ward_code", "created_at", "id",
              postgresql_where=TO_REVIEW, sqlite_where=TO_REVIEW),
        # The assessments one member of staff recorded, newest first: a learning centre's own list (imports, recorded
        # by the administrator who ran them, stay out of it).
        Index("ix_digital_attainment_assessments_by_recorder", "recorded_by", "created_at",
              postgresql_where=ASSESSMENT, sqlite_where=ASSESSMENT),
        # The same certificate file cannot wait twice or be verified twice for one citizen (a double click, two tabs),
        # and one supervised assessment per citizen and day: enforced by the database, whatever races past the checks.
        Index("uq_digital_attainment_live_file", "citizen_id", "evidence_key", unique=True,
              postgresql_where=LIVE_FILE, sqlite_where=LIVE_FILE),
        Index("uq_digital_attainment_live_assessment", "citizen_id", "achieved_on", unique=True,
              postgresql_where=LIVE_ASSESSMENT, sqlite_where=LIVE_ASSESSMENT),
        # A test paper's number is recorded once in a ward (while its record is live).
        Index("uq_digital_attainment_live_paper", "ward_code", "external_id", unique=True,
              postgresql_where=LIVE_PAPER, sqlite_where=LIVE_PAPER),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    citizen_id: str = Field(foreign_key="citizen.id", max_length=32, index=True)
    ward_code: str = Field(foreign_key="ward.code", max_length=5)  # the citizen's ward when it was recorded
    kind: str = Field(max_length=20)  # an AttainmentKind
    framework_id: str = Field(foreign_key="digital_framework.id", max_length=60)
    level: int | None = None
    areas: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    counts: bool = False
    achieved_on: date
    first_year: int
    last_year: int
    source: str = Field(max_length=200)
    external_id: str | None = Field(default=None, max_length=100)
    course: str | None = Field(default=None, max_length=300)
    evidence_key: str | None = Field(default=None, max_length=200)
    state: str = Field(max_length=20)
    version: int = 1
    recorded_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
    verified_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
    verified_at: datetime | None = None
    reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=now)
    updated_at: datetime = Field(default_factory=now)


class DigitalCounter(SQLModel, table=True):
    """Citizens of one ward holding basic digital skills in one year; changed only by workflows.digital.counters."""

    __tablename__ = "digital_counter"

    ward_code: str = Field(foreign_key="ward.code", primary_key=True, max_length=5)
    year: int = Field(primary_key=True)
    holders: int = 0
    updated_at: datetime = Field(default_factory=now)


class DigitalTestAttempt(SQLModel, table=True):
    """One sitting of the built-in test: the form drawn for it, the answers saved so far and, once submitted, its
    score. The answer key stays in the item bank (workflows.digital.items), never here or in a page before the end."""

    __tablename__ = "digital_test_attempt"
    __table_args__ = (
        # A citizen's attempts, newest first: the open one to resume, the count in the period for the limit.
        Index("ix_digital_test_attempt_citizen_started", "citizen_id", "started_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    citizen_id: str = Field(foreign_key="citizen.id", max_length=32)
    bank_id: str = Field(max_length=60)
    framework_id: str = Field(foreign_key="digital_framework.id", max_length=60)
    item_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=now)
    expires_at: datetime
    submitted_at: datetime | None = None
    correct: int | None = None
    overall: float | None = None
    by_area: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    passed: bool | None = None
    attainment_id: str | None = Field(default=None, foreign_key="digital_attainment.id", max_length=32)
