"""The append-only audit trail: one row per state change."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from ..clock import now


class AuditEvent(SQLModel, table=True):
    """Who did what to which object, from which state to which, and when."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=now, index=True)
    actor_id: str | None = Field(default=None, max_length=32)
    actor_role: str = Field(max_length=20)
    entity_type: str = Field(max_length=30)
    entity_id: str = Field(max_length=32, index=True)
    event: str = Field(max_length=30)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str | None = Field(default=None, max_length=20)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
