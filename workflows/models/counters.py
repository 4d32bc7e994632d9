"""Counters kept by the transactions that move what they count: live certificates (the roll-up) and applications
per state (the queue and monitoring)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from ..clock import now


class RollupCounter(SQLModel, table=True):
    """Live certificates (live_key set) of one ward, year and title; changed only by workflows.rollup_counters."""

    __tablename__ = "rollup_counter"

    ward_code: str = Field(foreign_key="ward.code", primary_key=True, max_length=5)
    year: int = Field(primary_key=True)
    title_type: str = Field(primary_key=True, max_length=20)
    live: int = 0
    updated_at: datetime = Field(default_factory=now)


class ApplicationCounter(SQLModel, table=True):
    """Applications of one ward and year in one state; changed only by workflows.application_counters, which
    workflows.states calls whenever an application is born or changes state."""

    __tablename__ = "application_counter"

    ward_code: str = Field(foreign_key="ward.code", primary_key=True, max_length=5)
    year: int = Field(primary_key=True)
    state: str = Field(primary_key=True, max_length=20)
    applications: int = 0
    updated_at: datetime = Field(default_factory=now)


class HolderCounter(SQLModel, table=True):
    """Holders of an indicator in a year in one ward, broken down (ADR 20): one row per breakdown and bucket, and
    whether they are aged 15 and over at the end of the year. Every breakdown of a ward, year and indicator adds up
    to the same holders; changed only by workflows.holder_counters."""

    __tablename__ = "holder_counter"

    # Key order: a year's breakdown across every ward and indicator is one range of the primary key.
    year: int = Field(primary_key=True)
    breakdown: str = Field(primary_key=True, max_length=20)  # a Breakdown
    indicator: str = Field(primary_key=True, max_length=20)  # a title type or "digital"
    bucket: str = Field(primary_key=True, max_length=100)  # "" for the total or where unknown
    ward_code: str = Field(foreign_key="ward.code", primary_key=True, max_length=5)
    aged_15_plus: bool = Field(primary_key=True)
    holders: int = 0
    updated_at: datetime = Field(default_factory=now)


class RegisterSequence(SQLModel, table=True):
    """The last register number (số vào sổ) given in one ward and year; moved only by workflows.register_numbers, in
    the transaction of the decision that uses the numbers, so they are distinct and leave no gap (ADR 24)."""

    __tablename__ = "register_sequence"

    ward_code: str = Field(foreign_key="ward.code", primary_key=True, max_length=5)
    year: int = Field(primary_key=True)
    last: int = 0
    updated_at: datetime = Field(default_factory=now)
