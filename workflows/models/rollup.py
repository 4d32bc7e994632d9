"""Targets (Plan 52/KH-UBND milestones) and per-ward population denominators."""

from sqlmodel import Field, SQLModel

from ..vocabulary import DenominatorMode
from .ids import new_id


class Target(SQLModel, table=True):
    """A milestone: indicator, year, value (a fraction), source document and denominator mode."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    indicator: str = Field(max_length=30, index=True)  # a TargetIndicator
    year: int
    value: float
    source_document: str = Field(max_length=200)
    denominator_mode: str = Field(default=DenominatorMode.RESIDENTS_15_PLUS, max_length=30)


class Population(SQLModel, table=True):
    """A ward's denominator for a year, imported with its source."""

    ward_code: str = Field(foreign_key="ward.code", primary_key=True, max_length=5)
    year: int = Field(primary_key=True)
    mode: str = Field(default=DenominatorMode.RESIDENTS_15_PLUS, primary_key=True, max_length=30)
    population: int
    source: str = Field(max_length=200)
