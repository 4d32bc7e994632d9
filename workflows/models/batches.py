"""A decision's certificates as one batch: a ZIP of its issued PDFs and one merged PDF for printing (ADR 31)."""

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..clock import now
from .ids import new_id


class CertificateBatch(SQLModel, table=True):
    """The files of one decision's issued certificates as they stood: one row per decision and content.

    `digest` is the SHA-256 of the listing (register number and PDF hash of each issued certificate, in register
    order): a reissue or a late certificate gives another digest, hence another row and other files; the row of a
    listing records that its files are being prepared (asked once) or are ready (stored write-once)."""

    __tablename__ = "certificate_batch"
    __table_args__ = (UniqueConstraint("decision_id", "digest", name="uq_certificate_batch_decision_digest"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    decision_id: str = Field(foreign_key="decision.id", max_length=32, index=True)
    digest: str = Field(max_length=64)
    certificate_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    count: int
    status: str = Field(max_length=20)
    zip_key: str = Field(max_length=200)
    pdf_key: str = Field(max_length=200)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    requested_at: datetime = Field(default_factory=now)
    ready_at: datetime | None = None
