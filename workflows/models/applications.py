"""A citizen's yearly application for a title, and the learning activities logged in it."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from ..clock import now
from .ids import new_id


class Application(SQLModel, table=True):
    """One citizen, one title, one year; its state changes only through workflows.states.apply_event."""

    __table_args__ = (
        UniqueConstraint("citizen_id", "title_type", "year", name="uq_application_citizen_year"),
        UniqueConstraint("reference", name="uq_application_reference"),
        # The reviewer's queue: a ward's applications in a state, oldest submission first, walked on the index alone;
        # the folded name rides along so a name search filters on the index too, never on the table (ADR 12).
        # The columns of the queue's filters ride along too, so a filtered page is read from the index alone
        # (ADR 26).
        Index("ix_application_queue", "ward_code", "state", "submitted_at", "id", "name_folded", "target_group",
              "hamlet_code", "assignee_id", "passes", "has_evidence"),
        # A reviewer of some tổ dân phố / thôn: their part of the ward's queue, in the same order (ADR 26).
        Index("ix_application_hamlet_queue", "ward_code", "hamlet_code", "state", "submitted_at", "id",
              "name_folded", "target_group", "assignee_id", "passes", "has_evidence"),
        # The queue by name, in the order of Vietnamese lists (workflows.names.sort_key), with the same columns riding
        # along: a name search or a filter in that order is read from the index alone too.
        Index("ix_application_name_queue", "ward_code", "state", "name_sort", "id", "name_folded", "target_group",
              "hamlet_code", "assignee_id", "passes", "has_evidence"),
        # "Mine": the applications a reviewer holds, in the queue's order; most rows hold none, so partial.
        Index("ix_application_assignee_queue", "assignee_id", "state", "submitted_at", "id",
              postgresql_where=text("assignee_id IS NOT NULL"), sqlite_where=text("assignee_id IS NOT NULL")),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    # What the citizen reads out at the ward's counter (workflows.references); None for rows made before it existed.
    reference: str | None = Field(default=None, max_length=8)
    citizen_id: str = Field(foreign_key="citizen.id", max_length=32, index=True)
    ward_code: str = Field(foreign_key="ward.code", max_length=5)
    criteria_set_id: str = Field(foreign_key="criteriaset.id", max_length=32, index=True)  # pinned for good
    title_type: str = Field(max_length=20)
    year: int
    target_group: str = Field(max_length=20)
    # The citizen's tổ dân phố/thôn when the application was opened: the title's breakdown keeps it.
    hamlet: str | None = Field(default=None, max_length=100)
    # Its code in the ward's list of tổ dân phố / thôn (workflows.hamlets), when the ward has one: what a reviewer
    # of some of them is scoped by.
    hamlet_code: str | None = Field(default=None, max_length=20)
    state: str = Field(max_length=20)
    # The reviewer holding it (the queue split between reviewers); None while nobody does.
    assignee_id: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
    # Kept when it is submitted or reviewed, for the queue's filters: some activity has evidence, and the pass
    # rule holds on its scores (the reviewer's once reviewed, the citizen's before).
    has_evidence: bool = False
    passes: bool = False
    version: int = 1
    self_scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reviewer_scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    total: int | None = None
    review_comment: str | None = Field(default=None, max_length=2000)
    # The reviewer's notes on single activities ({activity id: text}), shown to the citizen next to each one.
    review_notes: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    reviewed_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
    submitted_at: datetime | None = None
    reviewed_at: datetime | None = None
    decision_id: str | None = Field(default=None, foreign_key="decision.id", max_length=32)
    created_at: datetime = Field(default_factory=now)
    updated_at: datetime = Field(default_factory=now)
    # The applicant's name as filed, folded (workflows.names.fold), for the queue's name search.
    name_folded: str = Field(default="", max_length=200)
    # The same name in list order (workflows.names.sort_key: given name, family name, middle names).
    name_sort: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})




class Activity(SQLModel, table=True):
    """A learning activity with optional evidence (stored write-once, checked by content)."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    application_id: str = Field(foreign_key="application.id", max_length=32, index=True)
    title: str = Field(max_length=300)
    kind: str = Field(max_length=30)
    hours: int
    started_on: date
    ended_on: date | None = None
    # False when the citizen gave only the month and year (the date is then the month's first day, shown as 03/2026).
    started_day_known: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    ended_day_known: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    provider: str | None = Field(default=None, max_length=200)
    indicator_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    evidence_key: str | None = Field(default=None, max_length=200)
    evidence_name: str | None = Field(default=None, max_length=200)
    evidence_type: str | None = Field(default=None, max_length=60)
    evidence_sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=now)
