"""Work a committed change earned that could not be handed to the broker: kept until the sweeper sends it."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from ..clock import now


class OutboxMessage(SQLModel, table=True):
    """One effect (workflows.effects) whose task could not be published: what, on which row, and from when on."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    entity_id: str = Field(max_length=32)
    due_at: datetime = Field(default_factory=now)
    parked_at: datetime = Field(default_factory=now)
