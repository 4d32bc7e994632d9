"""The append-only audit trail: one row per state change, chained by a keyed hash (workflows.audit_chain)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Index, text
from sqlmodel import Field, SQLModel

from ..clock import now

UNSEALED = text("chain_seq IS NULL")


class AuditEvent(SQLModel, table=True):
    """Who did what to which object, from which state to which, and when."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_unsealed", "id", postgresql_where=UNSEALED, sqlite_where=UNSEALED),)

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
    # Given once, when the writing transaction commits: the record's place in the chain and its keyed hash.
    chain_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True, index=True, unique=True))
    chain_hash: str | None = Field(default=None, max_length=64)


class AuditChainHead(SQLModel, table=True):
    """The chain's last record: its place and hash (one row, which only moves forward)."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(max_length=64)
