"""Roll-up counters: the number of live certificates per ward, year and title, kept by the transactions that move it."""

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
