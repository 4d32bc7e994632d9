"""certificate batches: a decision's issued certificates as one ZIP and one merged PDF (ADR 31). One row per decision
and listing (the digest of its certificates' register numbers and hashes); a new table, nothing to fill.

Revision ID: d2e3f4a5b629
Revises: e2f3a4b5c630
Create Date: 2026-11-27 19:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = 'd2e3f4a5b629'
down_revision: str | None = 'e2f3a4b5c630'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('certificate_batch',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('decision_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('certificate_ids', sa.JSON(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('zip_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('pdf_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ready_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], name=op.f('fk_certificate_batch_decision_id_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_batch')),
    sa.UniqueConstraint('decision_id', 'digest', name='uq_certificate_batch_decision_digest')
    )
    with op.batch_alter_table('certificate_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_batch_decision_id'), ['decision_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('certificate_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_batch_decision_id'))
    op.drop_table('certificate_batch')
