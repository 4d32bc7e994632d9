"""Versioned criteria sets: the criteria (tiêu chí), the indicators (chỉ số), their wording for each target group
and the pass rule are data, not code. A set is a draft until a city administrator publishes it; a published set
never changes (ADR 22)."""

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from ..clock import now
from .ids import new_id


class CriteriaSet(SQLModel, table=True):
    """One version of the criteria for a title (e.g. QĐ 324/QĐ-KHVN for 'Công dân học tập')."""

    __table_args__ = (
        # One published version per title and first year (two publishing at once: the second is refused).
        Index("uq_criteriaset_published_year", "title_type", "valid_from_year", unique=True,
              postgresql_where=text("state = 'published'"), sqlite_where=text("state = 'published'")),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    code: str = Field(max_length=40, unique=True)
    title_type: str = Field(max_length=20, index=True)
    name: str = Field(max_length=200)
    source_document: str = Field(max_length=200)
    valid_from_year: int
    min_score: int = 0
    max_score: int = 10
    pass_total: int
    pass_min_indicator: int
    state: str = Field(default="draft", max_length=20)  # a CriteriaSetState; only apply_event changes it
    version: int = 1
    created_at: datetime | None = Field(default_factory=now)  # nullable: SQLite adds no NOT NULL column unfilled
    published_at: datetime | None = None
    published_by: str | None = Field(default=None, max_length=32)  # the user who published it (none: the system)


class Competence(SQLModel, table=True):
    """One criterion (tiêu chí) of a set, a competence that groups indicators (e.g. I. Năng lực tự học…)."""

    __tablename__ = "criteria_competence"

    criteria_set_id: str = Field(foreign_key="criteriaset.id", primary_key=True, max_length=32)
    code: str = Field(primary_key=True, max_length=10)
    name_vi: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    position: int


class Indicator(SQLModel, table=True):
    """One scored indicator (chỉ số) of a criteria set (e.g. I.1); its wording is per target group."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    criteria_set_id: str = Field(foreign_key="criteriaset.id", max_length=32, index=True)
    code: str = Field(max_length=10)
    competence: str = Field(max_length=200)  # the code of its Competence in the same set
    position: int


class IndicatorWording(SQLModel, table=True):
    """An indicator as worded for one target group (QĐ 324/QĐ-KHVN words each indicator for each of its four)."""

    __tablename__ = "indicator_wording"

    indicator_id: str = Field(foreign_key="indicator.id", primary_key=True, max_length=32)
    target_group: str = Field(primary_key=True, max_length=20)  # a TargetGroup
    criteria_set_id: str = Field(foreign_key="criteriaset.id", max_length=32, index=True)
    text_vi: str = Field(max_length=400)
    text_en: str = Field(max_length=400)
