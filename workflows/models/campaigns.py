"""Campaigns (đợt đánh giá, công nhận): a year's timetable for the city, or a ward's own dates overriding it."""

from datetime import date, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from ..clock import now
from .ids import new_id

# One row per year for the whole city (ward_code NULL), and at most one per ward and year.
WARD_ROW = text("ward_code IS NOT NULL")
CITY_ROW = text("ward_code IS NULL")


class Campaign(SQLModel, table=True):
    """The dates of one year's campaign for the city (ward_code NULL) or for one ward (all its dates replace the
    city's). A year without a row runs on the defaults of workflows.campaigns. Changed in place, each change
    audited with the dates before and after; `closed_at` (on the city's row) closes the year."""

    __table_args__ = (
        Index("uq_campaign_ward", "year", "ward_code", unique=True, postgresql_where=WARD_ROW,
              sqlite_where=WARD_ROW),
        Index("uq_campaign_city", "year", unique=True, postgresql_where=CITY_ROW, sqlite_where=CITY_ROW),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    year: int
    ward_code: str | None = Field(default=None, foreign_key="ward.code", max_length=5)  # None: the whole city
    registration_opens: date
    registration_closes: date
    self_assessment_opens: date
    self_assessment_closes: date
    review_deadline: date
    mid_year_report_on: date
    year_end_report_on: date
    closed_at: datetime | None = None
    closed_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
    updated_at: datetime = Field(default_factory=now)
    updated_by: str | None = Field(default=None, foreign_key="app_user.id", max_length=32)
