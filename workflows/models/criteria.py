"""Versioned criteria sets: the indicators and the pass rule are data, not code."""

from sqlmodel import Field, SQLModel

from .ids import new_id


class CriteriaSet(SQLModel, table=True):
    """One version of the criteria for a title (e.g. QĐ 324/QĐ-KHVN for 'Công dân học tập')."""

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


class Indicator(SQLModel, table=True):
    """One scored indicator of a criteria set (e.g. I.1)."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    criteria_set_id: str = Field(foreign_key="criteriaset.id", max_length=32, index=True)
    code: str = Field(max_length=10)
    competence: str = Field(max_length=200)
    text_vi: str = Field(max_length=400)
    text_en: str = Field(max_length=400)
    position: int
