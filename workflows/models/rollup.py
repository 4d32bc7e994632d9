"""Targets (Plan 52/KH-UBND milestones) and per-ward population denominators, with the imports that brought them."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ..clock import now
from ..vocabulary import DenominatorMode
from .ids import new_id

# The milestones in force: a replaced one keeps its row, with when and by which it was replaced.
IN_FORCE = text("superseded_at IS NULL")


class Target(SQLModel, table=True):
    """A milestone: indicator, year, value (a fraction), source document and denominator mode. Never edited in place:
    a new value is a new row, and the one it replaces gets `superseded_at` and `superseded_by` (the history)."""

    __table_args__ = (
        # One milestone in force per indicator and year.
        Index("uq_target_in_force", "indicator", "year", unique=True, postgresql_where=IN_FORCE,
              sqlite_where=IN_FORCE),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    indicator: str = Field(max_length=30, index=True)  # a TargetIndicator
    year: int
    value: float
    source_document: str = Field(max_length=200)
    denominator_mode: str = Field(default=DenominatorMode.RESIDENTS_15_PLUS, max_length=30)
    created_at: datetime | None = Field(default_factory=now)
    created_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
    superseded_at: datetime | None = None
    superseded_by: str | None = Field(default=None, max_length=32)


class Population(SQLModel, table=True):
    """A ward's denominator for a year and mode as it stands: the newest import's figure, with its source."""

    ward_code: str = Field(foreign_key="ward.code", primary_key=True, max_length=5)
    year: int = Field(primary_key=True)
    mode: str = Field(default=DenominatorMode.RESIDENTS_15_PLUS, primary_key=True, max_length=30)
    population: int
    source: str = Field(max_length=200)
    import_id: str | None = Field(default=None, foreign_key="population_import.id", max_length=32)


class PopulationImport(SQLModel, table=True):
    """One file of population figures as it was imported: who, when, from which source, how much it changed."""

    __tablename__ = "population_import"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    source: str = Field(max_length=200)
    file_name: str = Field(default="", max_length=200)
    rows: int
    changed: int
    imported_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
    imported_at: datetime = Field(default_factory=now, index=True)


class PopulationRevision(SQLModel, table=True):
    """A figure a newer import replaced, kept as it was: the history of a ward's denominator."""

    __tablename__ = "population_revision"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    ward_code: str = Field(foreign_key="ward.code", max_length=5)
    year: int
    mode: str = Field(max_length=30)
    population: int
    source: str = Field(max_length=200)
    import_id: str | None = Field(default=None, foreign_key="population_import.id", max_length=32)
    replaced_by: str = Field(foreign_key="population_import.id", max_length=32, index=True)
    replaced_at: datetime = Field(default_factory=now)


class ReportSnapshot(SQLModel, table=True):
    """The figures of a report as they were sent: frozen, never changed. Sending corrected figures for the same
    period is a new revision beside it, with its own date."""

    __tablename__ = "report_snapshot"
    __table_args__ = (UniqueConstraint("year", "period", "revision", name="uq_report_snapshot_revision"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    year: int
    period: str = Field(max_length=20)  # a ReportPeriod
    revision: int
    note: str = Field(default="", max_length=500)
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    frozen_at: datetime = Field(default_factory=now)
    frozen_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)


# A figure in force: per ward, or for the city as a whole (ward_code NULL), one per indicator, year and period.
WARD_FIGURE_IN_FORCE = text("superseded_at IS NULL AND ward_code IS NOT NULL")
CITY_FIGURE_IN_FORCE = text("superseded_at IS NULL AND ward_code IS NULL")


class UnitFigure(SQLModel, table=True):
    """A unit-level indicator's figure as entered (DOMAIN §1): how many units meet it out of how many, for a ward or
    the city, a year and a reporting period, with its source. Never edited in place: a corrected figure is a new row
    and the one it replaces keeps its row with when and by which it was replaced."""

    __tablename__ = "unit_figure"
    __table_args__ = (
        Index("uq_unit_figure_ward_in_force", "indicator", "year", "period", "ward_code", unique=True,
              postgresql_where=WARD_FIGURE_IN_FORCE, sqlite_where=WARD_FIGURE_IN_FORCE),
        Index("uq_unit_figure_city_in_force", "indicator", "year", "period", unique=True,
              postgresql_where=CITY_FIGURE_IN_FORCE, sqlite_where=CITY_FIGURE_IN_FORCE),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    indicator: str = Field(max_length=30)  # a UnitIndicator
    year: int
    period: str = Field(max_length=20)  # a ReportPeriod
    ward_code: str | None = Field(default=None, foreign_key="ward.code", max_length=5)  # None: the whole city
    achieved: int  # units (people, schools, centres) meeting the indicator
    total: int  # units counted
    source_note: str = Field(max_length=300)
    entered_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
    entered_at: datetime = Field(default_factory=now)
    superseded_at: datetime | None = None
    superseded_by: str | None = Field(default=None, max_length=32)
