"""certificate supersession: reissue after a correction (ADR 28). A new certificate names the one it supersedes
(unique: one successor each); the superseded one names its successor and when it was superseded. Existing rows are
superseded by nothing, so nothing is filled.

Revision ID: c0d1e2f3a428
Revises: a7c4e2f9d1b3
Create Date: 2026-11-27 18:35:30
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = 'c0d1e2f3a428'
down_revision: str | None = 'a7c4e2f9d1b3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supersedes', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('superseded_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_certificate_supersedes'), ['supersedes'])
        batch_op.create_foreign_key(batch_op.f('fk_certificate_supersedes_certificate'), 'certificate', ['supersedes'],
                                    ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_certificate_superseded_by_certificate'), 'certificate',
                                    ['superseded_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_certificate_superseded_by_certificate'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_certificate_supersedes_certificate'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_certificate_supersedes'), type_='unique')
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('superseded_by')
        batch_op.drop_column('supersedes')
